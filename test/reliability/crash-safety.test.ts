import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { diag, DiagLogLevel, SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { type ChildService, freePorts, spawnService, writeConfig } from './child-service.ts';
import { envInt, seededRandom, sleep } from './random.ts';

/**
 * Crash safety: the service (`bursar serve`, a child process on fixed ports and one data
 * directory) is SIGKILLed at random moments and restarted, again and again, while
 *  - official OTLP exporters (http/protobuf, with their own retries) export GenAI spans, and
 *    re-export a batch whenever the exporter gives up on it, until it is acknowledged;
 *  - REST clients reserve (with an idempotency key), then commit or release, retrying each
 *    step until it has an answer.
 * Afterwards every span and every commit is counted exactly once — records, token sums and
 * the budgets' counters — released reservations count nothing, and no hold is left.
 *
 * BURSAR_CRASH_KILLS (default 10) sets the number of kills; BURSAR_CRASH_SEED repeats a run.
 */

const KILLS = envInt('BURSAR_CRASH_KILLS', 10);
const rnd = seededRandom(process.env.BURSAR_CRASH_SEED ? envInt('BURSAR_CRASH_SEED', 0) : undefined);
const INGEST_KEY = 'crash-ingest-key-0123456789';
const ADMIN_KEY = 'crash-admin-key-0123456789';
const OTLP_SENDERS = 3;
const REST_WORKERS = 2;

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

interface Expected {
  calls: number;
  input: number;
  output: number;
}

describe('crash safety under SIGKILL', () => {
  it(
    `spans and REST commits are counted exactly once across ${KILLS} kills`,
    { timeout: 60_000 + KILLS * 8_000 },
    async () => {
      console.log(`crash-safety seed ${rnd.seed} (BURSAR_CRASH_SEED to repeat), ${KILLS} kills`);
      const [otlpPort, apiPort] = await freePorts(2);
      const dataDir = path.join(dir, 'data');
      const configFile = writeConfig(dir, {
        host: '127.0.0.1',
        otlp: { port: otlpPort },
        api: { port: apiPort },
        store: { kind: 'sqlite', dataDir },
        auth: {
          keys: [
            { name: 'ingest', key: INGEST_KEY, role: 'ingest' },
            { name: 'admin', key: ADMIN_KEY, role: 'admin' },
          ],
        },
        budgets: [
          { id: 'all-tokens', resource: 'tokens', period: 'total', limit: 1e12, policy: 'WARN' },
          { id: 'all-requests', resource: 'requests', period: 'total', limit: 1e12, policy: 'WARN' },
        ],
        log: { level: 'info' },
      });
      const otlpUrl = `http://127.0.0.1:${otlpPort}/v1/traces`;
      const apiUrl = `http://127.0.0.1:${apiPort}`;
      let svc: ChildService = await spawnService(configFile);
      let stop = false;
      const failures: string[] = [];

      // ---- OTLP: the official exporter, and a re-export of what it gave up on ----
      const collector = new Collector();
      const provider = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'crash-agent' }),
        spanProcessors: [collector],
      });
      const tracer = provider.getTracer('crash-test');
      const spans = new Map<string, { input: number; output: number }>();
      const otlpStats = { exports: 0, exporterRetries: 0, reExports: 0 };
      // The exporter says when it schedules a retry of its own (diag, verbose level).
      const quiet = () => {};
      diag.setLogger(
        {
          verbose: (message: string) => {
            if (message.startsWith('Scheduling export retry')) otlpStats.exporterRetries++;
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
      const otlpSender = async () => {
        const exporter = new OTLPTraceExporter({
          url: otlpUrl,
          headers: { authorization: `Bearer ${INGEST_KEY}` },
          timeoutMillis: 10_000,
        });
        while (!stop) {
          const batch = makeBatch(rnd.int(1, 40));
          for (let attempt = 0; ; attempt++) {
            otlpStats.exports++;
            const result = await new Promise<{ code: ExportResultCode; error?: Error }>((r) =>
              exporter.export(batch, r),
            );
            if (result.code === ExportResultCode.SUCCESS) break;
            // The exporter's own retries ran out while the service was down: send the same
            // spans again, as an application keeping its telemetry would.
            otlpStats.reExports++;
            if (attempt > 50) {
              failures.push(`OTLP batch never acknowledged: ${result.error?.message}`);
              return;
            }
            await sleep(200);
          }
        }
        await exporter.shutdown();
      };

      // ---- REST: reserve with an idempotency key, then commit or release ----
      const commits: Expected = { calls: 0, input: 0, output: 0 };
      const restStats = { reserves: 0, commits: 0, releases: 0, retries: 0, replayed: 0, conflicts: 0 };
      const call = async (method: string, route: string, body?: unknown) => {
        for (let attempt = 0; ; attempt++) {
          try {
            const res = await fetch(apiUrl + route, {
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
            // Connection refused or reset: the service is down or was killed mid-request.
            restStats.retries++;
            if (attempt > 200) throw error;
            await sleep(rnd.int(50, 150));
          }
        }
      };
      const restWorker = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const key = `w${w}-op${i}`;
          const reserved = await call('POST', '/v1/reservations', {
            scope: { tenant: 'crash', agent: `worker-${w}` },
            provider: 'openai',
            model: 'gpt-4o-mini',
            estimate: { inputTokens: 1000, outputTokens: 100 },
            idempotencyKey: key,
          });
          restStats.reserves++;
          if (reserved.status !== 201) {
            failures.push(`reserve ${key}: ${reserved.status} ${JSON.stringify(reserved.body)}`);
            return;
          }
          if (reserved.body.replayed) restStats.replayed++;
          const id = reserved.body.reservation.id as string;
          if (rnd.next() < 0.2) {
            const released = await call('DELETE', `/v1/reservations/${id}`);
            restStats.releases++;
            if (released.status !== 200)
              failures.push(`release ${key}: ${released.status} ${JSON.stringify(released.body)}`);
            continue;
          }
          const input = rnd.int(1, 3000);
          const output = rnd.int(0, 300);
          const committed = await call('POST', `/v1/reservations/${id}/commit`, { usage: { input, output } });
          restStats.commits++;
          // 409 already_committed: the first attempt landed and its answer was lost in the kill.
          if (committed.status === 409 && committed.body.error?.code === 'already_committed')
            restStats.conflicts++;
          else if (committed.status !== 200) {
            failures.push(`commit ${key}: ${committed.status} ${JSON.stringify(committed.body)}`);
            return;
          }
          commits.calls++;
          commits.input += input;
          commits.output += output;
        }
      };

      const traffic = [
        ...Array.from({ length: OTLP_SENDERS }, () => otlpSender()),
        ...Array.from({ length: REST_WORKERS }, (_, w) => restWorker(w)),
      ];
      for (let k = 0; k < KILLS; k++) {
        await sleep(rnd.int(100, 1200));
        await svc.kill();
        await sleep(rnd.int(0, 300));
        svc = await spawnService(configFile);
      }
      await sleep(500);
      stop = true;
      await Promise.all(traffic);
      expect(await svc.stop()).toBe(0);
      expect(failures).toEqual([]);
      console.log('crash-safety traffic', { spans: spans.size, otlp: otlpStats, rest: restStats, commits });

      // ---- the data directory, read directly ----
      const store = new SqliteStore({ path: path.join(dataDir, 'bursar.db') });
      await store.init();
      try {
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
        expect(tokens).toMatchObject({
          used: spanTokens + commits.input + commits.output,
          reserved: 0,
        });
        expect(requests).toMatchObject({ used: spans.size + commits.calls, reserved: 0 });
        expect(await store.activeReservations()).toEqual([]);
      } finally {
        await store.close();
      }
      await provider.shutdown();
      diag.disable();
    },
  );
});
