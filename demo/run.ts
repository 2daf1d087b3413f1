/**
 * `npm run demo`: the bursar service, a mock provider (or the real ones when their API keys
 * are set), and three agents on the three SDKs going through bursar's instrumentation. The
 * agents' spans go to the service over OTLP; a guard reserves and commits on the service
 * before and after every call. Budgets fill, a WARN budget warns, a HARD budget denies, and
 * the status table closes the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import WebSocket from 'ws';
import { STATUS_COLUMNS, type StatusReport } from '../src/cli/commands/status.ts';
import { render } from '../src/cli/output.ts';
import { configureTelemetry } from '../src/instrumentation/default-telemetry.ts';
import { BudgetExceededError, Guard } from '../src/instrumentation/guard.ts';
import { instrument } from '../src/instrumentation/instrument.ts';
import { withBudgetScope } from '../src/instrumentation/scope.ts';
import { ServiceBackend } from '../src/instrumentation/service-backend.ts';
import { parseConfig } from '../src/service/config/load-config.ts';
import { createLogger } from '../src/service/log.ts';
import { startService } from '../src/service/service.ts';
import { startMockProvider } from '../test/mock-provider/index.ts';
import { DEMO_BUDGETS } from './budgets.ts';

const ROUNDS = Number(process.env.DEMO_ROUNDS ?? 6);
const say = (line: string) => process.stdout.write(`${line}\n`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'bursar-demo-'));
const service = await startService(
  parseConfig({
    otlp: { port: 0 },
    api: { port: 0 },
    store: { dataDir },
    budgets: DEMO_BUDGETS,
    log: { level: 'warn' },
  }),
  { log: createLogger('error') },
);
say(`bursar service: OTLP ${service.otlpUrl}, REST ${service.apiUrl} (SQLite in ${dataDir})`);

// Providers: real ones where an API key is set, the built-in mock provider otherwise.
const mock = await startMockProvider();
const real = {
  openai: Boolean(process.env.OPENAI_API_KEY),
  anthropic: Boolean(process.env.ANTHROPIC_API_KEY),
  gemini: Boolean(process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY),
};
say(
  `providers: ${Object.entries(real)
    .map(([p, r]) => `${p} ${r ? 'REAL' : 'mock'}`)
    .join(', ')}\n`,
);

// OpenTelemetry: spans exported over OTLP/protobuf to the service; the guard talks REST.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracerProvider = new TracerProvider({
  spanProcessors: [
    new BatchSpanProcessor({
      exporter: new OTLPTraceExporter({ url: `${service.otlpUrl}/v1/traces` }),
      scheduledDelayMillis: 200,
    }),
  ],
});
const telemetry = configureTelemetry({ tracerProvider });
telemetry.guard = new Guard({ backend: new ServiceBackend({ url: service.apiUrl }), failMode: 'closed' });

const openai = instrument(
  real.openai ? new OpenAI() : new OpenAI({ apiKey: 'mock', baseURL: mock.openaiBaseURL, maxRetries: 0 }),
);
const anthropic = instrument(
  real.anthropic
    ? new Anthropic()
    : new Anthropic({ apiKey: 'mock', baseURL: mock.anthropicBaseURL, maxRetries: 0 }),
);
const gemini = instrument(
  real.gemini
    ? new GoogleGenAI({})
    : new GoogleGenAI({ apiKey: 'mock', httpOptions: { baseUrl: mock.geminiBaseUrl } }),
);

// Alerts as they happen, over the service's WebSocket.
const alerts = new WebSocket(`${service.apiUrl.replace('http', 'ws')}/ws/alerts`);
alerts.on('message', (data: Buffer) => {
  const e = JSON.parse(data.toString()) as { type: string; budgetId?: string; threshold?: number };
  if (e.type === 'threshold_crossed')
    say(`  ⚠ alert: ${e.budgetId} crossed ${Math.round((e.threshold ?? 0) * 100)}%`);
  else if (e.type === 'budget_exceeded') say(`  ✖ alert: ${e.budgetId} exceeded`);
});
alerts.on('error', (error) => say(`  (alerts socket: ${error.message})`));

async function call(agent: string, provider: string, fn: () => Promise<number>): Promise<void> {
  try {
    const tokens = await withBudgetScope({ tenant: 'demo', agent }, fn);
    say(`  ${agent.padEnd(10)} ${provider.padEnd(9)} ok      ${tokens} tokens`);
  } catch (error) {
    // Also from inside Anthropic's messages.stream(): the denial is thrown as an
    // AnthropicError subclass, which MessageStream passes on instead of wrapping.
    if (!(error instanceof BudgetExceededError)) throw error;
    const denied = error;
    say(
      `  ${agent.padEnd(10)} ${provider.padEnd(9)} DENIED  by ${denied.budget} (${denied.policy}): ` +
        `${denied.used} used + ${denied.requested} requested > ${denied.limit} — no request was sent`,
    );
  }
}

const prompt = 'Summarize the budget status of the fleet in one sentence.';
for (let round = 1; round <= ROUNDS; round++) {
  say(`round ${round}`);
  await call('researcher', 'openai', async () => {
    const r = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: prompt }],
      max_tokens: 300,
    });
    return r.usage?.total_tokens ?? 0;
  });
  await call('writer', 'anthropic', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      messages: [{ role: 'user', content: prompt }],
    });
    const m = await stream.finalMessage();
    const u = m.usage;
    return (
      u.input_tokens +
      (u.cache_read_input_tokens ?? 0) +
      (u.cache_creation_input_tokens ?? 0) +
      u.output_tokens
    );
  });
  await call('reviewer', 'gemini', async () => {
    const r = await gemini.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt });
    return r.usageMetadata?.totalTokenCount ?? 0;
  });
  const check = (await (
    await fetch(`${service.apiUrl}/v1/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        scope: { tenant: 'demo', agent: 'researcher' },
        estimate: { inputTokens: 1000 },
      }),
    })
  ).json()) as { decision: string; reasons: string[] };
  if (check.decision !== 'allow') say(`  check → ${check.decision}: ${check.reasons.join('; ')}`);
}

await tracerProvider.forceFlush();
// Spans and guard commits describe the same calls with the same record ids: counted once.
const status = (await (await fetch(`${service.apiUrl}/v1/status`)).json()) as StatusReport;
say(`\n${render(status.budgets, STATUS_COLUMNS, 'table')}`);
const usage = (await (await fetch(`${service.apiUrl}/v1/usage?groupBy=agent,provider`)).json()) as {
  total: { calls: number; costUsd: string };
};
say(`recorded ${usage.total.calls} calls, $${usage.total.costUsd} in total`);
const spans = service.context.stats.ingestItems;
say(
  `spans over OTLP: ${spans.get('traces accepted') ?? 0} new, ${spans.get('traces duplicate') ?? 0} already committed by the guard, ` +
    `${spans.get('traces ignored') ?? 0} not GenAI usage`,
);

alerts.close();
await tracerProvider.shutdown();
await service.close();
await mock.close();
rmSync(dataDir, { recursive: true, force: true });
