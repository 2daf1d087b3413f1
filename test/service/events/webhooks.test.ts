import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as bursar from '../../../src/index.ts';
import type { ServiceConfigInput } from '../../../src/service/config/config-schema.ts';
import { signPayload } from '../../../src/service/events/webhook-signature.ts';
import { createWebhookSender, verifySignature } from '../../../src/service/events/webhooks.ts';
import type { UsageRecordInput } from '../../../src/usage/usage-record.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';

const SECRET = 'whsec-0123456789abcdef';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/**
 * A real webhook receiver on a loopback port. `answer(n)` gives the status of the n-th
 * request (1-based), or 'hang' to never answer.
 */
async function receiver(answer: (n: number) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const status = answer(received.length + 1);
      received.push({ headers: req.headers, body, status: status === 'hang' ? 0 : status });
      for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
      if (status === 'hang') return;
      res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end('thanks');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=secret-in-url`;
  return {
    url,
    received,
    /** Resolves once `n` requests arrived. */
    count: (n: number) =>
      received.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

type Receiver = Awaited<ReturnType<typeof receiver>>;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function service(webhooks: ServiceConfigInput['webhooks']): Promise<TestService> {
  const s = await startTestService({
    webhooks,
    budgets: [
      {
        id: 'per-tenant',
        groupBy: ['tenant'],
        resource: 'tokens',
        period: 'day',
        limit: 100,
        policy: 'WARN',
        thresholds: [0.5],
      },
      {
        id: 'hard',
        selector: { tenant: 'capped' },
        resource: 'tokens',
        period: 'day',
        limit: 10,
        policy: 'HARD_LIMIT',
      },
    ],
  });
  cleanup.push(() => s.stop());
  return s;
}

let seq = 0;
const usage = (tenant: string, input: number): UsageRecordInput => ({
  id: `wh-${++seq}`,
  time: Date.now(),
  provider: 'openai',
  operation: 'chat',
  requestModel: 'test-model',
  usage: { input, output: 0 },
  scope: { tenant },
});

async function withReceiver(answer?: (n: number) => number | 'hang'): Promise<Receiver> {
  const r = await receiver(answer);
  cleanup.push(r.close);
  return r;
}

const fast = { maxAttempts: 4, retryBaseMs: 10, retryMaxMs: 40, timeoutMs: 2000 };

describe('webhooks', () => {
  it('retries network-level failures (5xx, 429) with the same id and a fresh valid signature', async () => {
    const hook = await withReceiver((n) => (n === 1 ? 503 : n === 2 ? 429 : 200));
    const s = await service([{ url: hook.url, secret: SECRET, events: ['threshold_crossed'], ...fast }]);
    await s.context.engine.record([usage('acme', 60)]);
    await hook.count(3);
    expect(hook.received.map((r) => r.status)).toEqual([503, 429, 200]);
    const ids = new Set(hook.received.map((r) => r.headers['bursar-webhook-id']));
    expect(ids.size).toBe(1);
    expect(hook.received.map((r) => r.headers['bursar-delivery-attempt'])).toEqual(['1', '2', '3']);
    for (const r of hook.received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['bursar-event']).toBe('threshold_crossed');
      expect(verifySignature(SECRET, r.headers['bursar-signature'] as string, r.body, 300)).toBe(true);
    }
    await s.stop();
    const event = JSON.parse(hook.received[2]!.body);
    expect(event).toMatchObject({
      id: [...ids][0],
      type: 'threshold_crossed',
      budgetId: 'per-tenant',
      group: 'acme',
      threshold: 0.5,
      used: 60,
      limit: 100,
    });
    const stats = s.context.stats.webhooks;
    expect(stats.get('delivered')).toBe(1);
    expect(stats.get('retried')).toBe(2);
    // The URL may carry a token: logs name the webhook by index and host only.
    expect(JSON.stringify(s.logs)).not.toContain('secret-in-url');
  });

  it('gives up after maxAttempts (5xx, refused connections), and never retries other 4xx answers', async () => {
    const down = await withReceiver(() => 500);
    const refuses = await withReceiver(() => 410);
    const gone = await withReceiver();
    await gone.close(); // nothing listens on its port any more
    const s = await service([
      { url: down.url, events: ['threshold_crossed'], ...fast, maxAttempts: 3 },
      { url: refuses.url, events: ['threshold_crossed'], ...fast },
      { url: gone.url, events: ['threshold_crossed'], ...fast, maxAttempts: 2 },
    ]);
    await s.context.engine.record([usage('acme', 60)]);
    await down.count(3);
    await refuses.count(1);
    const stats = s.context.stats.webhooks;
    while ((stats.get('failed') ?? 0) < 3) await new Promise((r) => setTimeout(r, 20));
    await s.stop();
    expect(down.received).toHaveLength(3);
    expect(refuses.received).toHaveLength(1);
    expect(stats.get('failed')).toBe(3);
    // down: 2 repeats, gone: 1 repeat, refuses: none.
    expect(stats.get('retried')).toBe(3);
    expect(stats.get('delivered')).toBeUndefined();
    // Unsigned when no secret is configured.
    expect(down.received[0]!.headers['bursar-signature']).toBeUndefined();
  });

  it('filters by event type and by tenant, including decision denials', async () => {
    const acmeHook = await withReceiver();
    const denials = await withReceiver();
    const s = await service([
      { url: acmeHook.url, events: ['threshold_crossed', 'budget_exceeded'], tenant: 'acme' },
      { url: denials.url, events: ['decision_denied'] },
    ]);
    const engine = s.context.engine;
    await engine.record([usage('globex', 60), usage('acme', 70)]);
    await engine.record([usage('acme', 40)]);
    await acmeHook.count(2);
    const denied = await engine.reserve({ scope: { tenant: 'capped' }, estimate: { inputTokens: 50 } });
    expect(denied.decision.allowed).toBe(false);
    await denials.count(1);
    await s.stop();
    expect(acmeHook.received.map((r) => JSON.parse(r.body).type)).toEqual([
      'threshold_crossed',
      'budget_exceeded',
    ]);
    expect(acmeHook.received.every((r) => JSON.parse(r.body).group === 'acme')).toBe(true);
    expect(denials.received).toHaveLength(1);
    expect(JSON.parse(denials.received[0]!.body)).toMatchObject({
      type: 'decision_denied',
      operation: 'reserve',
      budgets: [{ budgetId: 'hard', requested: 50, limit: 10 }],
    });
  });

  it('keeps a bounded queue (drops are counted) and close() waits a bounded time for a hung receiver', async () => {
    const hung = await withReceiver(() => 'hang');
    const s = await service([]);
    const webhook = {
      url: hung.url,
      events: ['threshold_crossed' as const],
      maxAttempts: 1,
      timeoutMs: 60_000,
      retryBaseMs: 10,
      retryMaxMs: 10,
      maxQueue: 2,
    };
    const sender = createWebhookSender(
      { ...s.context, config: { ...s.context.config, webhooks: [webhook] } },
      { closeTimeoutMs: 100 },
    );
    // Five crossings: one in flight (hung), two queued, two dropped.
    await s.context.engine.record(['t1', 't2', 't3', 't4', 't5'].map((t) => usage(t, 60)));
    await hung.count(1);
    const stats = s.context.stats.webhooks;
    expect(stats.get('dropped')).toBe(2);
    await sender.close();
    // The hung request was aborted and the two queued events were dropped at shutdown: 2 + 1 + 2.
    expect(stats.get('dropped')).toBe(5);
    expect(hung.received).toHaveLength(1);
  });
});

describe('verifySignature', () => {
  const body = JSON.stringify({ id: 'x', type: 'budget_exceeded' });
  const now = Date.UTC(2026, 0, 1);
  const t = now / 1000;
  // Built from the documented format, independently of the sender's code.
  const header = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;

  it('accepts the exact body within the tolerance', () => {
    expect(verifySignature(SECRET, header, body, 300, now + 299_000)).toBe(true);
    expect(verifySignature(SECRET, header, Buffer.from(body), 300, now)).toBe(true);
  });
  it('rejects a tampered body, another secret, an old or future timestamp, and malformed headers', () => {
    expect(
      verifySignature(SECRET, header, body.replace('budget_exceeded', 'threshold_crossed'), 300, now),
    ).toBe(false);
    expect(verifySignature('another-secret-012345', header, body, 300, now)).toBe(false);
    expect(verifySignature(SECRET, header, body, 300, now + 301_000)).toBe(false);
    expect(verifySignature(SECRET, header, body, 300, now - 301_000)).toBe(false);
    expect(verifySignature(SECRET, header.replace(/t=\d+/, `t=${t + 1}`), body, 300, now)).toBe(false);
    expect(verifySignature(SECRET, undefined, body, 300, now)).toBe(false);
    expect(verifySignature(SECRET, 'v1=abc', body, 300, now)).toBe(false);
    expect(verifySignature(SECRET, `t=${t}`, body, 300, now)).toBe(false);
  });
  it("round-trips with the sender's signPayload", () => {
    expect(signPayload(SECRET, body, t)).toBe(header);
    expect(verifySignature(SECRET, signPayload(SECRET, body), body)).toBe(true);
  });
  it('is exported by the package for receivers, with the header names', () => {
    expect(bursar.verifySignature).toBe(verifySignature);
    expect([bursar.SIGNATURE_HEADER, bursar.ID_HEADER, bursar.EVENT_HEADER]).toEqual([
      'bursar-signature',
      'bursar-webhook-id',
      'bursar-event',
    ]);
  });
  it('accepts any matching v1 (secret rotation)', () => {
    const v1 = header.split('v1=')[1]!;
    expect(verifySignature(SECRET, `t=${t},v1=${'0'.repeat(64)},v1=${v1}`, body, 300, now)).toBe(true);
  });
});
