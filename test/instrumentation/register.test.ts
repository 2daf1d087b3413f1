import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockProvider, startMockProvider } from '../mock-provider/index.ts';

const run = promisify(execFile);
const register = fileURLToPath(new URL('../../src/register.ts', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A minimal OTLP/HTTP receiver: keeps every request body per signal path. */
interface Received {
  path: string;
  contentType: string;
  body: Buffer;
}
let otlp: Server;
let otlpUrl: string;
const received: Received[] = [];
let mock: MockProvider;

beforeAll(async () => {
  mock = await startMockProvider();
  otlp = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: String(req.headers['content-type']),
        body: Buffer.concat(parts),
      });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => otlp.listen(0, '127.0.0.1', r));
  otlpUrl = `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await mock.close();
  await new Promise<void>((r) => otlp.close(() => r()));
});

function env(extra: Record<string, string>) {
  return {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_METRIC_EXPORT_INTERVAL: '60000',
    OTEL_SERVICE_NAME: 'smoke-app',
    ...extra,
  };
}

const text = (r: Received) => r.body.toString('latin1');

describe('auto-instrumentation entry point', () => {
  it('node --import patches the ESM openai module and exports OTLP protobuf spans and metrics', async () => {
    received.length = 0;
    const { stdout } = await run(process.execPath, ['--import', register, fixture('app-openai.mjs')], {
      env: env({ MOCK_OPENAI_URL: mock.openaiBaseURL }),
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      usage: 1500,
      streamed: true,
      usageOnly: 0,
    });
    const traces = received.filter((r) => r.path === '/v1/traces');
    const metrics = received.filter((r) => r.path === '/v1/metrics');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.contentType).toBe('application/x-protobuf');
    const spans = traces.map(text).join('');
    expect(spans).toContain('chat gpt-4o-mini');
    expect(spans).toContain('gen_ai.usage.input_tokens');
    expect(spans).toContain('gen_ai.usage.cache_read.input_tokens');
    expect(spans).toContain('smoke-app');
    expect(metrics.map(text).join('')).toContain('gen_ai.client.token.usage');
  }, 40_000);

  it('node --require patches the CommonJS @anthropic-ai/sdk module', async () => {
    received.length = 0;
    const { stdout } = await run(process.execPath, ['--require', register, fixture('app-anthropic.cjs')], {
      env: env({ MOCK_ANTHROPIC_URL: mock.anthropicBaseURL, ANTHROPIC_OPEN_TELEMETRY: 'false' }),
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ output: 420 });
    const spans = received
      .filter((r) => r.path === '/v1/traces')
      .map(text)
      .join('');
    expect(spans).toContain('chat claude-sonnet-4-6');
    expect(spans).toContain('gen_ai.usage.cache_creation.input_tokens');
  }, 40_000);
});
