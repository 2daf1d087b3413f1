// Wires the peer GenAI instrumentations (installed only here, never in bursar's own
// package.json) onto the openai module that bench/instrumentation.bench.ts uses.
//
// openai 7 ships both a CJS and an ESM build: `import 'openai'` and `require('openai')`
// give different classes. The benchmark calls the ESM one, so each peer is handed that
// module's `OpenAI` class through its own manual-patch entry point, pointed at the
// tracer and meter providers the benchmark gives it. Nothing here starts an SDK, an
// exporter or a network call.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** A package's version, read beside its entry point (not every package exports ./package.json). */
function versionOf(pkg) {
  let dir = path.dirname(require.resolve(pkg));
  while (
    !existsSync(path.join(dir, 'package.json')) ||
    JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== pkg
  )
    dir = path.dirname(dir);
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

/** Is `version` inside a range list of the simple form the instrumentations use (">=a.b.c <d")? */
function inRanges(ranges, version) {
  const v = version.split('.').map(Number);
  const cmp = (b) => {
    const w = b.split('.').map(Number);
    for (let i = 0; i < 3; i++) if ((v[i] ?? 0) !== (w[i] ?? 0)) return (v[i] ?? 0) - (w[i] ?? 0);
    return 0;
  };
  return ranges.some((range) =>
    range
      .trim()
      .split(/\s+/)
      .every((part) => {
        const m = /^(>=|<=|>|<|=)?(\d+(?:\.\d+){0,2})$/.exec(part);
        if (!m) return false;
        const c = cmp(m[2]);
        switch (m[1]) {
          case '>=':
            return c >= 0;
          case '<=':
            return c <= 0;
          case '>':
            return c > 0;
          case '<':
            return c < 0;
          default:
            return c === 0;
        }
      }),
  );
}

/**
 * OpenLIT's OpenAI instrumentation class (the one `openlit.init()` registers), without
 * `openlit.init()`: its config, price table and metric instruments are set directly,
 * and the class's own `manualPatch()` patches the ESM OpenAI prototypes.
 */
export function wireOpenLIT({ OpenAI, openaiVersion, tracerProvider, meterProvider }) {
  const dist = path.dirname(require.resolve('openlit'));
  const Instrumentation = require(path.join(dist, 'instrumentation/openai/index.js')).default;
  const Config = require(path.join(dist, 'config.js')).default;
  const Metrics = require(path.join(dist, 'otel/metrics.js')).default;
  // Same work as bursar's defaults: no message content on spans, no log events.
  Config.updateConfig({
    environment: 'bench',
    applicationName: 'bench',
    captureMessageContent: false,
    disableEvents: true,
  });
  // USD per 1k tokens (OpenLIT's unit), the gpt-4o-mini list price, so cost is computed.
  Config.pricingInfo = {
    chat: { 'gpt-4o-mini': { promptPrice: 0.00015, completionPrice: 0.0006, cacheReadPrice: 0.000075 } },
  };
  Metrics.setup({ meter: meterProvider.getMeter('openlit', versionOf('openlit')) });
  const inst = new Instrumentation({ enabled: false });
  inst.setTracerProvider(tracerProvider);
  inst.setMeterProvider(meterProvider);
  const ranges = inst.getModuleDefinitions()[0].supportedVersions;
  const targets = [
    [OpenAI.Chat.Completions.prototype, 'create'],
    [OpenAI.Embeddings.prototype, 'create'],
    [OpenAI.FineTuning.Jobs.prototype, 'create'],
    [OpenAI.Images.prototype, 'generate'],
    [OpenAI.Images.prototype, 'createVariation'],
    [OpenAI.Audio.Speech.prototype, 'create'],
    [OpenAI.Responses.prototype, 'create'],
  ];
  return {
    name: `openlit ${versionOf('openlit')}`,
    ranges,
    supported: inRanges(ranges, openaiVersion),
    /** Patches the prototypes; true if chat.completions.create is now wrapped. */
    patch() {
      inst.manualPatch({ OpenAI });
      return OpenAI.Chat.Completions.prototype.create.__wrapped === true;
    },
    unpatch: () => targets.forEach(([proto, method]) => inst._unwrap(proto, method)),
  };
}

/**
 * The OTel contrib instrumentation. `supported` is its own declared range check;
 * `patchedOnRequire` is what happens when the instrumentation is enabled and openai
 * is then required the ordinary way (require-in-the-middle on bursar's own install).
 * It is only checked, never measured: on openai 7 it records nothing.
 */
export function wireContrib({ openaiVersion, openaiMain, tracerProvider, meterProvider }) {
  const pkg = '@opentelemetry/instrumentation-openai';
  const { OpenAIInstrumentation } = require(pkg);
  const inst = new OpenAIInstrumentation({ enabled: false, captureMessageContent: false });
  inst.setTracerProvider(tracerProvider);
  inst.setMeterProvider(meterProvider);
  const def = inst.getModuleDefinitions()[0];
  // The ordinary path: enable the hook, require openai from bursar's node_modules (its CJS
  // build), see whether the instrumentation wrapped it, then turn the hook off again.
  let patchedOnRequire = false;
  try {
    inst.enable();
    const cjs = createRequire(openaiMain)('openai');
    patchedOnRequire = cjs.OpenAI.Chat.Completions.prototype.create.__wrapped === true;
  } finally {
    inst.disable();
  }
  return {
    name: `${pkg} ${versionOf(pkg)}`,
    ranges: def.supportedVersions,
    supported: inRanges(def.supportedVersions, openaiVersion),
    patchedOnRequire,
  };
}
