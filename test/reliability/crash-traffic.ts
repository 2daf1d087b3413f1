import { diag, DiagLogLevel, SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { expect } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import type { Random } from './random.ts';
import { sleep } from './random.ts';

/**
 * The traffic of the crash-safety tests and what it must leave behind. Clients that
 * behave as real ones do while the service dies under them:
 *  - official OTLP exporters (http/protobuf, with their own retries) export GenAI spans,
 *    and re-export a batch whenever the exporter gives up on it — to another replica when
 *    there are several — until it is acknowledged;
 *  - REST clients reserve (with an idempotency key), then commit or release, retrying each
 *    step (on another replica when there are several) until it has an answer.
 * `verify` then reads the store itself: every span and every commit counted exactly once
 * (records, token sums, the budgets' counters), released reservations nothing, no hold left.
 */

export const INGEST_KEY = 'crash-ingest-key-0123456789';
export const ADMIN_KEY = 'crash-admin-key-0123456789';

/** The budgets every crash run's service has: `verify` reads their counters. */
export const CRASH_BUDGETS = [
  { id: 'all-tokens', resource: 'tokens', period: 'total', limit: 1e12, policy: 'WARN' },
  { id: 'all-requests', resource: 'requests', period: 'total', limit: 1e12, policy: 'WARN' },
] as const;

export const CRASH_KEYS = {
  keys: [
    { name: 'ingest', key: INGEST_KEY, role: 'ingest' as const },
    { name: 'admin', key: ADMIN_KEY, role: 'admin' as const },
  ],
};

/** Keeps every span the SDK ends, for the test to export itself. */
class Collector implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Traffic {
  /** Lets every client finish its current call (retrying until answered), then stops. */
  stop(): Promise<void>;
  readonly failures: string[];
  readonly stats: Record<string, unknown>;
  verify(store: Store): Promise<void>;
}

/** Starts the clients against `otlpUrls` / `apiUrls` (one per replica). */
export function startTraffic(options: {
  otlpUrls: string[];
  apiUrls: string[];
  rnd: Random;
  senders: number;
  workers: number;
}): Traffic {
  const { otlpUrls, apiUrls, rnd } = options;
  let stopping = false;
  const failures: string[] = [];

  // ---- OTLP ----
  const collector = new Collector();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'crash-agent' }),
    spanProcessors: [collector],
  });
  const tracer = provider.getTracer('crash-test');
  const spans = new Map<string, { input: number; output: number }>();
  const otlp = { exports: 0, exporterRetries: 0, reExports: 0 };
  // The exporter says when it schedules a retry of its own (diag, verbose level).
  const quiet = () => {};
  diag.setLogger(
    {
      verbose: (message: string) => {
        if (message.startsWith('Scheduling export retry')) otlp.exporterRetries++;
      },
      debug: quiet,
      info: quiet,
      warn: quiet,
      error: quiet,
    },
    DiagLogLevel.VERBOSE,
  );
  const makeBatch = (n: number): ReadableSpan[] => {
    collector.spans = [];
    for (let i = 0; i < n; i++) {
      const input = rnd.int(1, 5000);
      const output = rnd.int(0, 500);
      const span = tracer.startSpan('chat gpt-4o-mini', {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': input,
          'gen_ai.usage.output_tokens': output,
        },
      });
      span.end();
      const c = span.spanContext();
      spans.set(`${c.traceId}:${c.spanId}`, { input, output });
    }
    return collector.spans;
  };
  const sender = async (s: number) => {
    const exporters = otlpUrls.map(
      (url) =>
        new OTLPTraceExporter({
          url: `${url}/v1/traces`,
          headers: { authorization: `Bearer ${INGEST_KEY}` },
          timeoutMillis: 10_000,
        }),
    );
    let target = s % exporters.length;
    while (!stopping) {
      const batch = makeBatch(rnd.int(1, 40));
      for (let attempt = 0; ; attempt++) {
        otlp.exports++;
        const result = await new Promise<{ code: ExportResultCode; error?: Error }>((r) =>
          exporters[target]!.export(batch, r),
        );
        if (result.code === ExportResultCode.SUCCESS) break;
        // The exporter's own retries ran out while the service was down: send the same
        // spans again (elsewhere, when there is another replica), as an application
        // keeping its telemetry would.
        otlp.reExports++;
        target = (target + 1) % exporters.length;
        if (attempt > 50) {
          failures.push(`OTLP batch never acknowledged: ${result.error?.message}`);
          return;
        }
        await sleep(200);
      }
    }
    await Promise.all(exporters.map((e) => e.shutdown()));
  };

  // ---- REST ----
  const commits = { calls: 0, input: 0, output: 0 };
  const rest = { reserves: 0, commits: 0, releases: 0, retries: 0, replayed: 0, conflicts: 0 };
  let api = 0;
  const call = async (method: string, route: string, body?: unknown) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(apiUrls[api % apiUrls.length] + route, {
          method,
          headers: {
            authorization: `Bearer ${ADMIN_KEY}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(10_000),
        });
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        return { status: res.status, body: (await res.json()) as any };
      } catch (error) {
        // Refused or reset: this replica is down or was killed mid-request. Try the next.
        rest.retries++;
        api++;
        if (attempt > 300) throw error;
        await sleep(rnd.int(50, 150));
      }
    }
  };
  const worker = async (w: number) => {
    for (let i = 0; !stopping; i++) {
      const key = `w${w}-op${i}`;
      // Each step may land on any replica: the store is what they share.
      api = rnd.int(0, apiUrls.length - 1);
      const reserved = await call('POST', '/v1/reservations', {
        scope: { tenant: 'crash', agent: `worker-${w}` },
        provider: 'openai',
        model: 'gpt-4o-mini',
        estimate: { inputTokens: 1000, outputTokens: 100 },
        idempotencyKey: key,
      });
      rest.reserves++;
      if (reserved.status !== 201) {
        failures.push(`reserve ${key}: ${reserved.status} ${JSON.stringify(reserved.body)}`);
        return;
      }
      if (reserved.body.replayed) rest.replayed++;
      const id = reserved.body.reservation.id as string;
      api = rnd.int(0, apiUrls.length - 1);
      if (rnd.next() < 0.2) {
        const released = await call('DELETE', `/v1/reservations/${id}`);
        rest.releases++;
        if (released.status !== 200)
          failures.push(`release ${key}: ${released.status} ${JSON.stringify(released.body)}`);
        continue;
      }
      const input = rnd.int(1, 3000);
      const output = rnd.int(0, 300);
      const committed = await call('POST', `/v1/reservations/${id}/commit`, { usage: { input, output } });
      rest.commits++;
      // 409 already_committed: the first attempt landed and its answer was lost in the kill.
      if (committed.status === 409 && committed.body.error?.code === 'already_committed') rest.conflicts++;
      else if (committed.status !== 200) {
        failures.push(`commit ${key}: ${committed.status} ${JSON.stringify(committed.body)}`);
        return;
      }
      commits.calls++;
      commits.input += input;
      commits.output += output;
    }
  };

  const running = [
    ...Array.from({ length: options.senders }, (_, s) => sender(s)),
    ...Array.from({ length: options.workers }, (_, w) => worker(w)),
  ];
  return {
    failures,
    get stats() {
      return { spans: spans.size, otlp, rest, commits };
    },
    async stop() {
      stopping = true;
      await Promise.all(running);
      await provider.shutdown();
      diag.disable();
    },
    async verify(store: Store) {
      const records = await store.queryUsage({ from: 0, to: 8e12 });
      const spanRecords = records.filter((r) => !r.id.startsWith('reservation:'));
      const commitRecords = records.filter((r) => r.id.startsWith('reservation:'));
      // Every span exactly once, and no record that was not sent.
      expect(spanRecords.length).toBe(spans.size);
      for (const r of spanRecords) {
        const sent = spans.get(r.id);
        expect(sent, `record ${r.id} was never sent`).toBeDefined();
        expect([r.usage.input, r.usage.output]).toEqual([sent!.input, sent!.output]);
      }
      // Every acknowledged commit exactly once; released reservations recorded nothing.
      expect(commitRecords.length).toBe(commits.calls);
      const sum = (rs: typeof records, f: 'input' | 'output') => rs.reduce((n, r) => n + r.usage[f], 0);
      expect([sum(commitRecords, 'input'), sum(commitRecords, 'output')]).toEqual([
        commits.input,
        commits.output,
      ]);
      let spanTokens = 0;
      for (const s of spans.values()) spanTokens += s.input + s.output;
      // The budgets' counters moved once per call: no double increment after a retry.
      const [tokens] = await store.listCounters('all-tokens', 0);
      const [requests] = await store.listCounters('all-requests', 0);
      expect(tokens).toMatchObject({ used: spanTokens + commits.input + commits.output, reserved: 0 });
      expect(requests).toMatchObject({ used: spans.size + commits.calls, reserved: 0 });
      expect(await store.activeReservations()).toEqual([]);
    },
  };
}
