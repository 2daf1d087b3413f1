import { Agent, request } from 'node:http';
import { parentPort } from 'node:worker_threads';

/**
 * The OTLP exporter side of bench/ingest.bench.ts's HTTP rows, in a worker thread: the
 * service's event loop (the "one core" the target is about) does only the service's work,
 * as it would with exporters in other processes. Each job sends its bodies with
 * `inFlight` requests outstanding on keep-alive connections and answers once every
 * request got its 200.
 */

export interface SendJob {
  url: string;
  bodies: Uint8Array[];
  inFlight: number;
  gzip: boolean;
}

const port = parentPort!;
const agents = new Map<number, Agent>();

function send(agent: Agent, url: string, body: Uint8Array, gzip: boolean): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-protobuf',
    'content-length': String(body.length),
  };
  if (gzip) headers['content-encoding'] = 'gzip';
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

port.on('message', async (job: SendJob) => {
  let agent = agents.get(job.inFlight);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: job.inFlight });
    agents.set(job.inFlight, agent);
  }
  try {
    let next = 0;
    const client = async () => {
      while (next < job.bodies.length) await send(agent, job.url, job.bodies[next++]!, job.gzip);
    };
    await Promise.all(Array.from({ length: job.inFlight }, client));
    port.postMessage({ ok: true });
  } catch (e) {
    port.postMessage({ ok: false, error: String(e) });
  }
});
