import { WebSocket } from 'ws';

/** A test WebSocket client that keeps every message and waits for the ones a test expects. */
export interface TestSocket {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  /** Resolves with the first message (already received or later) that satisfies `pred`. */
  next(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The upgrade was refused: the HTTP status and the JSON error body. */
export interface Refusal {
  status: number;
  body: { error: { code: string; message: string; field?: string } };
  headers: Record<string, string | string[] | undefined>;
}

export function wsUrl(apiUrl: string, path: string): string {
  return apiUrl.replace(/^http/, 'ws') + path;
}

/** Opens a socket and waits for the service's `ready` message; rejects with a Refusal on 4xx/5xx. */
export function connect(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, { headers });
  const messages: Record<string, unknown>[] = [];
  const waiters: {
    pred: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const socket: TestSocket = {
    ws,
    messages,
    next(pred, timeoutMs = 10_000) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
    close() {
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      return new Promise((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        reject({ status: res.statusCode ?? 0, body: JSON.parse(body), headers: res.headers } as Refusal),
      );
    });
    ws.once('error', reject);
    socket.next((m) => m.type === 'ready').then(() => resolve(socket), reject);
  });
}

/** The refusal of an upgrade that must fail. */
export async function refused(url: string, headers: Record<string, string> = {}): Promise<Refusal> {
  try {
    const s = await connect(url, headers);
    await s.close();
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'status' in e) return e as Refusal;
    throw e;
  }
  throw new Error(`upgrade to ${url} was accepted`);
}
