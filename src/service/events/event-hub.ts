import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import type { BudgetEvent } from '../../budget/events.ts';
import type { ServiceContext } from '../context.ts';
import { alertOf, usageMessage } from './event-payload.ts';
import {
  confineFilter,
  filterKey,
  parseQuery,
  type ScopeFilter,
  scopeMatches,
  subjectVisible,
} from './ws-filter.ts';
import { StatusBroadcaster } from './ws-status.ts';

export interface EventHub {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export interface EventHubOptions {
  /** Bytes queued for one client before it counts as too slow and is dropped. */
  maxBufferedBytes?: number;
  /** Least time between two status messages on /ws. */
  statusIntervalMs?: number;
  /**
   * Ping period (default: config `websocket.heartbeatMs`); a client that has not answered the
   * previous ping is dropped.
   */
  heartbeatMs?: number;
  maxClients?: number;
}

const USAGE_PATH = '/ws';
const ALERTS_PATH = '/ws/alerts';
type WsPath = typeof USAGE_PATH | typeof ALERTS_PATH;

/** The engine events `/ws/alerts` streams (decision denials go to webhooks only). */
const ALERT_EVENTS = ['threshold_crossed', 'budget_exceeded', 'override_set', 'reservation_expired'] as const;
/** Events that move a counter or a limit: the next status tick has news. */
const STATUS_EVENTS = [
  'reservation_created',
  'reservation_committed',
  'reservation_released',
  'reservation_expired',
  'override_set',
] as const;

interface Client {
  readonly ws: WebSocket;
  readonly path: WsPath;
  readonly filter: ScopeFilter;
  readonly filterKey: string;
  alive: boolean;
}

/** Answers an upgrade request with a plain HTTP error (the socket never becomes a WebSocket). */
function reject(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  field?: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: field === undefined ? { code, message } : { code, message, field } });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * WebSocket streams on the API port: `/ws` (usage as it lands, budget status on change)
 * and `/ws/alerts` (thresholds, exceeded budgets, overrides, expired reservations).
 * Authenticated on the upgrade (Authorization header, or `?access_token=` for browsers,
 * which is never logged), filtered server side by scope; a tenant key only ever receives
 * its own tenant's events. Each message is serialized once for every subscriber with the
 * same filter; a client whose send buffer passes the bound is dropped, so a slow reader
 * never grows the service's memory.
 */
export function createEventHub(ctx: ServiceContext, options: EventHubOptions = {}): EventHub {
  const { engine, log, stats } = ctx;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const maxClients = options.maxClients ?? 1000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, clientTracking: false });
  const clients = new Set<Client>();
  const usageClients = new Set<Client>();
  const alertClients = new Set<Client>();
  let closed = false;

  const drop = (c: Client, reason: 'slow' | 'unresponsive') => {
    stats.bump(stats.wsDropped, `${c.path} ${reason}`);
    log.warn({ path: c.path, reason }, 'websocket client dropped');
    c.ws.terminate();
  };

  /** `data` is the UTF-8 JSON, encoded once for every client that gets it. */
  const send = (c: Client, data: Buffer) => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount + data.length > maxBuffered) {
      drop(c, 'slow');
      return;
    }
    c.ws.send(data, { binary: false });
    stats.bump(stats.wsMessages, c.path);
  };
  const encode = (message: unknown) => Buffer.from(JSON.stringify(message), 'utf8');

  const status = new StatusBroadcaster<Client>(
    engine,
    options.statusIntervalMs ?? 1000,
    () => usageClients,
    send,
    (error) => log.error({ err: error }, 'websocket status update failed'),
  );

  const onUsage = (e: Extract<BudgetEvent, { type: 'usage_recorded' }>) => {
    status.markDirty();
    let data: Buffer | undefined;
    for (const c of usageClients) {
      if (!scopeMatches(c.filter, e.record.scope)) continue;
      data ??= encode(usageMessage(e.time, e.record));
      send(c, data);
    }
  };
  const specOf = (id: string) => engine.budget(id)?.spec;
  const onAlert = (e: BudgetEvent) => {
    if (alertClients.size === 0) return;
    const alert = alertOf(engine, e);
    if (!alert) return;
    let data: Buffer | undefined;
    for (const c of alertClients) {
      if (!subjectVisible(c.filter, alert.subject, specOf)) continue;
      data ??= encode(alert.payload);
      send(c, data);
    }
  };
  const unsubscribe = [
    engine.events.on('usage_recorded', onUsage),
    ...ALERT_EVENTS.map((t) => engine.events.on(t, onAlert)),
    ...STATUS_EVENTS.map((t) => engine.events.on(t, () => status.markDirty())),
  ];

  const heartbeat = setInterval(() => {
    for (const c of clients) {
      if (!c.alive) {
        drop(c, 'unresponsive');
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }, options.heartbeatMs ?? ctx.config.websocket.heartbeatMs);
  heartbeat.unref();

  const gauge = (path: WsPath, delta: number) => stats.bump(stats.wsClients, path, delta);

  const accept = (ws: WebSocket, path: WsPath, filter: ScopeFilter, who: string) => {
    const c: Client = { ws, path, filter, filterKey: filterKey(filter), alive: true };
    clients.add(c);
    (path === USAGE_PATH ? usageClients : alertClients).add(c);
    gauge(path, 1);
    log.info({ path, key: who, filter }, 'websocket client connected');
    ws.on('pong', () => (c.alive = true));
    ws.on('error', (error) => log.debug({ err: error, path }, 'websocket client error'));
    ws.on('close', () => {
      clients.delete(c);
      usageClients.delete(c);
      alertClients.delete(c);
      gauge(path, -1);
    });
    send(c, encode({ type: 'ready', path, filter }));
    if (path === USAGE_PATH) void status.greet(c);
  };

  return {
    handleUpgrade(req, socket, head) {
      if (closed) return reject(socket, 503, 'shutting_down', 'bursar is shutting down');
      const url = new URL(req.url ?? '/', 'http://bursar');
      const path = url.pathname;
      if (path !== USAGE_PATH && path !== ALERTS_PATH)
        return reject(
          socket,
          404,
          'not_found',
          `no WebSocket at ${path}: use ${USAGE_PATH} or ${ALERTS_PATH}`,
        );
      const query = parseQuery(url.searchParams, ctx.config.customLabels);
      if (!query.ok) return reject(socket, query.status, query.code, query.message, query.field);
      const header =
        req.headers.authorization ??
        (query.accessToken !== undefined ? `Bearer ${query.accessToken}` : undefined);
      const auth = ctx.keys.authenticate(header);
      if (!auth.ok)
        return reject(socket, 401, 'unauthorized', auth.message, undefined, { 'WWW-Authenticate': 'Bearer' });
      const confined = confineFilter(auth.principal, query.filter);
      if (!confined.ok)
        return reject(socket, confined.status, confined.code, confined.message, confined.field);
      if (clients.size >= maxClients)
        return reject(socket, 503, 'too_many_clients', `at most ${maxClients} WebSocket clients`);
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, path, confined.filter, auth.principal.name));
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      status.stop();
      for (const off of unsubscribe) off();
      const gone = [...clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === WebSocket.CLOSED) resolve();
            else c.ws.once('close', () => resolve());
          }),
      );
      for (const c of clients) c.ws.close(1001, 'bursar is shutting down');
      await Promise.race([Promise.all(gone), sleep(1000)]);
      for (const c of clients) c.ws.terminate();
      wss.close();
    },
  };
}
