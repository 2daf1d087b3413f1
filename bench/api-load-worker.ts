import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

/**
 * The load generator of bench/api.bench.ts, in a worker thread so it does not share the
 * event loop of the server it measures.
 *
 * Open loop: operation i is due at start + i / rate whether or not earlier ones have
 * answered, and its latency runs from that due time (so a server that falls behind is
 * charged for the queue it causes, not hidden by a client that waits for it).
 * Closed loop (max rate): `concurrency` clients each send the next request as soon as
 * the last one answered.
 */

export type Mode = 'bare' | 'check' | 'pair';

export interface FixedJob {
  kind: 'fixed';
  base: string;
  mode: Mode;
  rate: number;
  warmupMs: number;
  durationMs: number;
  headers: Record<string, string>;
}
export interface MaxJob {
  kind: 'max';
  base: string;
  mode: Mode;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  headers: Record<string, string>;
}
export interface FixedResult {
  /** Latencies in ms after warm-up, sorted. */
  latencies: number[];
  achievedRate: number;
  errors: number;
  statuses: Record<number, number>;
}
export interface MaxResult {
  rate: number;
  errors: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

function post(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve([res.statusCode ?? 0, text]));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const TENANTS = 50;
const bodies = Array.from({ length: TENANTS }, (_, t) =>
  JSON.stringify({
    scope: { tenant: `t${t}`, agent: `a${t % 7}` },
    provider: 'openai',
    model: 'gpt-4o-mini',
    estimate: { inputTokens: 1000, outputTokens: 200 },
  }),
);
const COMMIT = JSON.stringify({ usage: { input: 900, cacheRead: 300, output: 150 } });

/** One operation; resolves with the last status (a pair is reserve then commit). */
async function operation(
  job: { base: string; mode: Mode; headers: Record<string, string> },
  i: number,
): Promise<number> {
  const body = bodies[i % TENANTS]!;
  if (job.mode === 'bare') return (await post(job.base, '/check', body, job.headers))[0];
  if (job.mode === 'check') return (await post(job.base, '/v1/check', body, job.headers))[0];
  const [status, text] = await post(job.base, '/v1/reservations', body, job.headers);
  if (status !== 201) return status;
  const id = (JSON.parse(text) as { reservation: { id: string } }).reservation.id;
  return (await post(job.base, `/v1/reservations/${id}/commit`, COMMIT, job.headers))[0];
}

function fixed(job: FixedJob): Promise<FixedResult> {
  const interval = 1000 / job.rate;
  const warmup = Math.floor(job.warmupMs / interval);
  const total = warmup + Math.floor(job.durationMs / interval);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let done = 0;
  let next = 0;
  const start = performance.now() + 5;
  let lastEnd = start;
  return new Promise((resolve) => {
    const finish = () => {
      if (done < total) return;
      parentPort!.postMessage({ mark: 'stop' });
      const measured = (lastEnd - (start + warmup * interval)) / 1000;
      latencies.sort((a, b) => a - b);
      resolve({ latencies, achievedRate: latencies.length / measured, errors, statuses });
    };
    const fire = (i: number, due: number) => {
      operation(job, i)
        .then((status) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 400) errors += 1;
        })
        .catch(() => {
          errors += 1;
        })
        .finally(() => {
          const end = performance.now();
          if (i >= warmup) latencies.push(end - due);
          lastEnd = Math.max(lastEnd, end);
          done += 1;
          finish();
        });
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        // The server's thread measures its own CPU time from the end of the warm-up.
        if (next === warmup) parentPort!.postMessage({ mark: 'start' });
        fire(next, start + next * interval);
        next += 1;
      }
      if (next >= total) return;
      const wait = start + next * interval - performance.now();
      // Sub-millisecond schedules need setImmediate; timers fire at 1 ms granularity.
      if (wait > 2) setTimeout(tick, wait - 1);
      else setImmediate(tick);
    };
    tick();
  });
}

async function max(job: MaxJob): Promise<MaxResult> {
  let measuring = false;
  let stop = false;
  let count = 0;
  let errors = 0;
  let seq = 0;
  const client = async () => {
    while (!stop) {
      const i = seq++;
      try {
        const status = await operation(job, i);
        if (status >= 400) errors += 1;
      } catch {
        errors += 1;
      }
      if (measuring) count += 1;
    }
  };
  const clients = Array.from({ length: job.concurrency }, client);
  await new Promise((r) => setTimeout(r, job.warmupMs));
  measuring = true;
  // The server's thread measures its own CPU time between these two marks.
  parentPort!.postMessage({ mark: 'start' });
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, job.durationMs));
  measuring = false;
  parentPort!.postMessage({ mark: 'stop' });
  const seconds = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(clients);
  return { rate: count / seconds, errors };
}

parentPort!.on('message', (job: FixedJob | MaxJob) => {
  const run = job.kind === 'fixed' ? fixed(job) : max(job);
  run.then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (error: unknown) => parentPort!.postMessage({ ok: false, error: String(error) }),
  );
});
