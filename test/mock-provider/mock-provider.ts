// A local GenAI provider for tests: one node:http server on 127.0.0.1 that speaks the OpenAI,
// Anthropic and Gemini wire formats well enough for the official SDKs to parse, plain and streamed.
//
// Point the SDKs at it:
//   new OpenAI({ apiKey: 'k', baseURL: mock.openaiBaseURL, maxRetries: 0 })        // url + '/v1'
//   new Anthropic({ apiKey: 'k', baseURL: mock.anthropicBaseURL, maxRetries: 0 })  // url
//   new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: mock.geminiBaseUrl } }) // url
// openai and Anthropic retry 429/5xx twice by default (honouring `retry-after`); pass maxRetries: 0
// unless the test is about retries. @google/genai does not retry unless `httpOptions.retryOptions`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { anthropicCountTokensRoute, anthropicMessagesRoute } from './anthropic.ts';
import { errorReply, mockMisuse, type ErrorReply } from './errors.ts';
import { geminiRoute } from './gemini.ts';
import { openaiChatRoute } from './openai-chat.ts';
import { openaiEmbeddingsRoute } from './openai-embeddings.ts';
import { openaiResponsesRoute } from './openai-responses.ts';
import {
  CHUNKS_HEADER,
  errorStatus,
  isErrorScenario,
  SCENARIO_HEADER,
  ScenarioSelector,
  type Scenario,
} from './scenarios.ts';
import { writeSse } from './sse.ts';
import type { HandlerContext, MockSettings, RecordedRequest, Reply, Route } from './types.ts';
import { DEFAULT_USAGE, type MockUsage } from './usage.ts';

export interface MockProviderOptions extends Partial<MockSettings> {
  /** Scenario for requests without a header or queued entry (default `ok`). */
  scenario?: Scenario;
  /** Usage to report; each given entry replaces the default for that API family. */
  usage?: Partial<MockUsage>;
}

export interface MockProvider {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** For openai's `baseURL`: the SDK appends `/chat/completions` etc., so this ends in `/v1`. */
  readonly openaiBaseURL: string;
  /** For Anthropic's `baseURL`: the SDK appends `/v1/messages`. */
  readonly anthropicBaseURL: string;
  /** For @google/genai's `httpOptions.baseUrl`: the SDK appends `/{apiVersion}/models/...`. */
  readonly geminiBaseUrl: string;
  /** Every request received, in arrival order. Cleared by `reset()`. */
  readonly requests: RecordedRequest[];
  /** Live settings; assign fields to change later responses. */
  readonly settings: MockSettings;
  /** Live usage numbers; replace with `setUsage()`. */
  readonly usage: Readonly<MockUsage>;
  /** The scenario for requests with no header and nothing queued. */
  setScenario(scenario: Scenario): void;
  /** Scenarios for the next header-less requests, one each, before falling back to the default. */
  queueScenarios(...scenarios: Scenario[]): void;
  setUsage(usage: Partial<MockUsage>): void;
  /** Forgets recorded requests and queued scenarios; restores the initial scenario, settings, usage. */
  reset(): void;
  /** Stops the server, dropping kept-alive and in-flight connections. */
  close(): Promise<void>;
}

export const DEFAULT_SETTINGS: Readonly<MockSettings> = Object.freeze({
  chunks: 5,
  slowDelayMs: 50,
  truncateAfterChunks: 2,
  retryAfterSeconds: 0,
});

const ROUTES: readonly Route[] = [
  openaiChatRoute,
  openaiResponsesRoute,
  openaiEmbeddingsRoute,
  anthropicCountTokensRoute,
  anthropicMessagesRoute,
  geminiRoute,
];

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Writes a JSON reply and records how it ended ('finish' vs a client that left first). */
function sendJson(res: ServerResponse, record: RecordedRequest, reply: ErrorReply): void {
  const text = JSON.stringify(reply.body);
  record.status = reply.status;
  res.once('close', () => {
    record.outcome = res.writableFinished ? 'completed' : 'client-closed';
  });
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...reply.headers,
  });
  res.end(text);
}

export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const { scenario: initialScenario = 'ok', usage: usageOverride, ...settingsOverride } = options;
  const initialSettings: MockSettings = { ...DEFAULT_SETTINGS, ...settingsOverride };
  const initialUsage: MockUsage = { ...DEFAULT_USAGE, ...usageOverride };
  const settings: MockSettings = { ...initialSettings };
  let usage: MockUsage = { ...initialUsage };
  const selector = new ScenarioSelector(initialScenario);
  const requests: RecordedRequest[] = [];
  let seq = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const headers = headerRecord(req);
    const path = req.url ?? '/';
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers,
      body,
      route: undefined,
      scenario: undefined,
      stream: false,
      status: undefined,
      outcome: 'pending',
      framesSent: 0,
    };
    requests.push(record);

    const url = new URL(path, 'http://mock.invalid');
    let route: Route | undefined;
    let groups: Record<string, string> = {};
    for (const candidate of ROUTES) {
      const m = candidate.method === record.method ? candidate.pattern.exec(url.pathname) : null;
      if (m) {
        route = candidate;
        groups = { ...m.groups };
        break;
      }
    }
    if (!route) return sendJson(res, record, mockMisuse(404, `no route for ${record.method} ${path}`));
    record.route = typeof route.name === 'string' ? route.name : route.name(groups);

    const picked = selector.select(headers[SCENARIO_HEADER]);
    if ('unknown' in picked) {
      return sendJson(res, record, mockMisuse(400, `unknown scenario '${picked.unknown}'`));
    }
    const scenario = picked.scenario;
    record.scenario = scenario;
    seq += 1;

    if (isErrorScenario(scenario)) {
      const reply = errorReply(
        route.family,
        errorStatus(scenario),
        `req_mock_${seq}`,
        settings.retryAfterSeconds,
      );
      return sendJson(res, record, reply);
    }

    const requested = Number(headers[CHUNKS_HEADER] ?? settings.chunks);
    const ctx: HandlerContext = {
      body: isObject(body) ? body : {},
      scenario,
      chunks: Number.isInteger(requested) && requested > 0 ? requested : settings.chunks,
      usage,
      settings: { ...settings },
      seq,
      params: groups,
    };
    const reply: Reply = route.handle(ctx);

    if (reply.kind === 'json') {
      if (scenario === 'slow') await sleep(settings.slowDelayMs);
      if (res.destroyed) {
        record.outcome = 'client-closed';
        return;
      }
      return sendJson(res, record, { status: reply.status, headers: reply.headers ?? {}, body: reply.body });
    }

    record.stream = true;
    record.status = 200;
    record.outcome = await writeSse(res, reply.headers ?? {}, reply.frames, {
      delayMs: scenario === 'slow' ? settings.slowDelayMs : 0,
      cutAfter: reply.cutAfter,
      onFrame: () => {
        record.framesSent += 1;
      },
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the mock must be loud in the test that hit it, not a hung request.
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `mock-provider bug: ${String(err)}` } }));
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    geminiBaseUrl: url,
    requests,
    settings,
    get usage() {
      return usage;
    },
    setScenario: (s) => selector.setDefault(s),
    queueScenarios: (...s) => selector.enqueue(s),
    setUsage: (u) => {
      usage = { ...usage, ...u };
    },
    reset: () => {
      requests.length = 0;
      selector.clearQueue();
      selector.setDefault(initialScenario);
      Object.assign(settings, initialSettings);
      usage = { ...initialUsage };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
