// `node --import bursar/register app.mjs` or `node --require bursar/register app.cjs`:
// patches the openai, @anthropic-ai/sdk and @google/genai modules when they load
// (ESM through import-in-the-middle's loader hooks, CommonJS through
// require-in-the-middle), and starts an OpenTelemetry SDK exporting OTLP at the first
// instrumented call if the application has not started one by then.
import { register as registerAsyncHooks } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { register as registerSyncHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import { ensureSdk } from './instrumentation/auto-sdk.ts';
import { BursarInstrumentation } from './instrumentation/bursar-instrumentation.ts';

const PROVIDER_MODULES = ['openai', '@anthropic-ai/sdk', '@google/genai'];

if (supportsSyncHooks()) {
  registerSyncHooks({ include: PROVIDER_MODULES });
} else {
  registerAsyncHooks('import-in-the-middle/hook.mjs', import.meta.url, {
    data: { include: PROVIDER_MODULES },
  });
}

const instrumentation = new BursarInstrumentation();
registerInstrumentations({ instrumentations: [instrumentation] });
instrumentation.telemetry.beforeFirstCall(() => ensureSdk(instrumentation));

export { instrumentation };
