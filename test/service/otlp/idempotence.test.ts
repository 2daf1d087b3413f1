import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { genAiSpan, itemStats, post, type Protocol, recordingProxy, sdkSender, totals } from './helpers.ts';

/**
 * A span re-sent by an exporter's retry is counted once: in the same run (the official
 * exporter retrying after a lost answer), and after a restart on the same data directory.
 */

const services: TestService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir?: string): Promise<TestService> {
  const s = await startTestService({}, dataDir ? { dataDir } : {});
  services.push(s);
  return s;
}

function sendCalls(tracer: ReturnType<typeof sdkSender>['tracer'], n: number): void {
  for (let i = 0; i < n; i++)
    genAiSpan(tracer, 'chat gpt-5.5', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-5.5',
      'gen_ai.usage.input_tokens': 100 + i,
      'gen_ai.usage.output_tokens': 10,
    });
}

describe.each<Protocol>(['protobuf', 'json'])('re-sent %s bodies', (protocol) => {
  it('the official exporter retrying after a lost answer is counted once', async () => {
    const service = await start();
    const proxy = await recordingProxy(service.otlpUrl, { loseFirstAnswers: 1 });
    try {
      const sender = sdkSender(proxy.url, { protocol, gzip: true });
      sendCalls(sender.tracer, 20);
      await sender.flush();
      await sender.shutdown();
      // The service received and committed the same body twice.
      expect(proxy.recorded).toHaveLength(2);
      expect(proxy.recorded[1]!.body.equals(proxy.recorded[0]!.body)).toBe(true);
      expect(proxy.recorded[0]!.headers['content-encoding']).toBe('gzip');
    } finally {
      await proxy.close();
    }
    expect(await totals(service)).toMatchObject({ calls: 20, input: 20 * 100 + 190, output: 200 });
    expect(itemStats(service)).toEqual({ 'traces accepted': 20, 'traces duplicate': 20 });
  });

  it('a body re-sent after a restart on the same data directory is counted once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bursar-otlp-restart-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const proxy = await recordingProxy(first.otlpUrl);
    const sender = sdkSender(proxy.url, { protocol });
    sendCalls(sender.tracer, 5);
    await sender.flush();
    await sender.shutdown();
    await proxy.close();
    const [body] = proxy.recorded;
    await first.stop({ keepData: true });
    services.splice(services.indexOf(first), 1);

    const second = await start(dataDir);
    const contentType = protocol === 'json' ? 'application/json' : 'application/x-protobuf';
    const res = await post(`${second.otlpUrl}/v1/traces`, body!.body, { contentType });
    expect(res.status).toBe(200);
    expect(itemStats(second)).toEqual({ 'traces duplicate': 5 });
    expect(await totals(second)).toMatchObject({ calls: 5, input: 5 * 100 + 10, output: 50 });
  });
});
