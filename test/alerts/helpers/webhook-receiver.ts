import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One alert of an Alertmanager webhook notification (payload version 4). */
export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Notification {
  /** The request path: one per receiver (`/am/pager`, …). */
  path: string;
  body: { receiver?: string; status?: string; alerts?: NotifiedAlert[] } & Record<string, unknown>;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: Notification[];
  /**
   * The first alert, in a notification on `path`, that `match` accepts: already received or
   * arriving within `timeoutMs`. Rejects listing what did arrive.
   */
  waitForAlert(path: string, match: (a: NotifiedAlert) => boolean, timeoutMs: number): Promise<NotifiedAlert>;
  close(): Promise<void>;
}

/** A node:http server on a loopback port that records every JSON POST it gets. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Notification[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push({ path: req.url ?? '/', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      } catch {
        received.push({ path: req.url ?? '/', body: {} });
      }
      res.writeHead(200).end();
      for (const w of waiters) w();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const find = (path: string, match: (a: NotifiedAlert) => boolean) => {
    for (const n of received) {
      if (n.path !== path) continue;
      const a = (n.body.alerts ?? []).find(match);
      if (a) return a;
    }
    return undefined;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitForAlert(path, match, timeoutMs) {
      const found = find(path, match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const a = find(path, match);
          if (!a) return;
          cleanup();
          resolve(a);
        };
        const timer = setTimeout(() => {
          cleanup();
          const seen = received.map(
            (n) =>
              `${n.path}: ${(n.body.alerts ?? []).map((a) => `${a.labels.alertname} ${a.status}`).join(', ')}`,
          );
          reject(
            new Error(`no matching alert on ${path} within ${timeoutMs} ms; received:\n${seen.join('\n')}`),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
