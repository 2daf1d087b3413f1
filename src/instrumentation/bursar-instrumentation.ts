import { diag, type MeterProvider, metrics, type TracerProvider, ValueType } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';
import { METRIC_BURSAR_INSTRUMENTATION_SKIPPED } from '../semconv.ts';
import { getTelemetry } from './default-telemetry.ts';
import { patchAnthropicModule } from './providers/anthropic.ts';
import { patchGeminiModule } from './providers/gemini.ts';
import { patchOpenAIModule } from './providers/openai.ts';
import type { GenAiTelemetry } from './telemetry.ts';

/** The SDK majors each adapter was written against. */
const SUPPORTED: Record<string, { major: number; patch: (mod: unknown, t: GenAiTelemetry) => () => void }> = {
  openai: { major: 7, patch: patchOpenAIModule },
  '@anthropic-ai/sdk': { major: 1, patch: patchAnthropicModule },
  '@google/genai': { major: 3, patch: patchGeminiModule },
};

export interface BursarInstrumentationConfig extends InstrumentationConfig {
  telemetry?: GenAiTelemetry;
}

const warned = new Set<string>();

/**
 * For a user's own `new NodeSDK({ instrumentations: [new BursarInstrumentation()] })`
 * and for `--import bursar/register`. Patches the three SDKs when they load (CommonJS
 * and ESM). Patching never throws: a version it was not written for is logged once,
 * skipped and counted (`bursar.instrumentation.skipped`).
 */
export class BursarInstrumentation extends InstrumentationBase<BursarInstrumentationConfig> {
  readonly #undo = new Map<object, () => void>();

  constructor(config: BursarInstrumentationConfig = {}) {
    super('bursar', '0.1.0', config);
  }

  get telemetry(): GenAiTelemetry {
    return this.getConfig().telemetry ?? getTelemetry();
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this.telemetry.useProviders({ tracerProvider });
  }

  override setMeterProvider(meterProvider: MeterProvider): void {
    super.setMeterProvider(meterProvider);
    this.telemetry.useProviders({ meterProvider });
  }

  protected init() {
    return Object.entries(SUPPORTED).map(
      ([name, { major, patch }]) =>
        new InstrumentationNodeModuleDefinition(
          name,
          ['*'],
          (exports: object, version?: string) => {
            const found = Number((version ?? '').split('.')[0]);
            if (version !== undefined && found !== major) {
              skipped(name, `version ${version} is not ${major}.x`);
              return exports;
            }
            try {
              this.#undo.set(exports, patch(exports, this.telemetry));
            } catch (error) {
              skipped(name, (error as Error).message);
            }
            return exports;
          },
          (exports: object) => {
            this.#undo.get(exports)?.();
            this.#undo.delete(exports);
          },
        ),
    );
  }
}

function skipped(module: string, why: string): void {
  metrics
    .getMeter('bursar')
    .createCounter(METRIC_BURSAR_INSTRUMENTATION_SKIPPED, {
      description: 'Provider SDK modules bursar could not instrument.',
      unit: '{module}',
      valueType: ValueType.INT,
    })
    .add(1, { module });
  if (warned.has(module)) return;
  warned.add(module);
  diag.warn(`bursar: not instrumenting ${module}: ${why}`);
  console.warn(`bursar: not instrumenting ${module}: ${why}`);
}
