import { randomBytes } from 'node:crypto';
import type { TestService } from '../../helpers/service.ts';

/** Usage the live test feeds the real service, through the engine, the REST-free paths and OTLP. */

let seq = 0;

/** Records `tokens` (input + output) for tenant acme, the scope the live budget counts. */
export async function recordTokens(service: TestService, now: number, tokens: number): Promise<void> {
  const output = Math.floor(tokens / 10);
  const input = tokens - output;
  await service.context.engine.record([
    {
      id: `live-${++seq}`,
      time: now,
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o-mini',
      usage: { input, output, cacheRead: Math.floor(input / 4) },
      scope: { tenant: 'acme', agent: 'planner' },
    },
  ]);
}

/** A GenAI span over OTLP/HTTP JSON, as an OpenTelemetry exporter would send it. */
async function postSpan(service: TestService, now: number): Promise<void> {
  const attr = (key: string, v: string | number) => ({
    key,
    value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
  });
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', 'otlp-agent')] },
        scopeSpans: [
          {
            scope: { name: 'live-test' },
            spans: [
              {
                traceId: randomBytes(16).toString('hex'),
                spanId: randomBytes(8).toString('hex'),
                name: 'chat gpt-4o-mini',
                kind: 3,
                startTimeUnixNano: `${now - 400}000000`,
                endTimeUnixNano: `${now}000000`,
                attributes: [
                  attr('gen_ai.operation.name', 'chat'),
                  attr('gen_ai.provider.name', 'openai'),
                  attr('gen_ai.request.model', 'gpt-4o-mini'),
                  attr('gen_ai.usage.input_tokens', 40),
                  attr('gen_ai.usage.output_tokens', 10),
                ],
              },
            ],
          },
        ],
      },
    ],
  };
  const res = await fetch(`${service.otlpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`OTLP export answered ${res.status}: ${await res.text()}`);
}

/**
 * Activity outside the live budget that every panel needs to show data: more tenants than
 * metrics.maxValuesPerLabel (label overflow), a model with no price, an OTLP span, and a
 * reservation left to expire.
 */
export async function backgroundUsage(service: TestService, now: number): Promise<void> {
  const { engine } = service.context;
  const base = { provider: 'openai', operation: 'chat', time: now, usage: { input: 30, output: 5 } };
  await engine.record(
    ['t1', 't2', 't3', 't4', 't5'].map((tenant) => ({
      ...base,
      id: `bg-${++seq}`,
      requestModel: 'gpt-4o-mini',
      scope: { tenant, agent: 'batch' },
    })),
  );
  await engine.record([
    { ...base, id: `bg-${++seq}`, requestModel: 'mystery-model-9', scope: { agent: 'batch' } },
  ]);
  await postSpan(service, now);
  const held = await engine.reserve({
    scope: { tenant: 'acme', agent: 'planner' },
    provider: 'openai',
    model: 'gpt-4o-mini',
    estimate: { inputTokens: 5 },
    ttlMs: 500,
  });
  if (!held.reservation) throw new Error('the expiring reservation was not granted');
}
