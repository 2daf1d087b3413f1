// Server-sent events: frame formatting, and writing frames with the `slow` and `truncate` behaviours.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A `data:`-only frame (OpenAI chat completions). */
export function dataFrame(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/** A named event (OpenAI responses, Anthropic messages): both SDKs read the `event:` line. */
export function eventFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Gemini's frames: Google's servers end each event with CRLF CRLF; the SDK splits on either. */
export function geminiFrame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\r\n\r\n`;
}

export interface SseWriteOptions {
  /** Milliseconds between frames (0: write back to back). */
  delayMs: number;
  /** Write this many frames, then destroy the socket (no terminal event, no chunked-encoding end). */
  cutAfter: number | undefined;
  /** Called after each frame is handed to the socket, so the recorder can count progress. */
  onFrame: () => void;
}

export type SseResult = 'completed' | 'truncated' | 'client-closed';

/**
 * Writes frames as a chunked `text/event-stream` body. Headers go out first (`flushHeaders`) so an
 * SDK's `create()` resolves before any event arrives, as it does against a real provider.
 */
export async function writeSse(
  res: ServerResponse,
  headers: Record<string, string>,
  frames: readonly string[],
  opts: SseWriteOptions,
): Promise<SseResult> {
  let clientGone = false;
  // 'close' before 'finish' means the peer left (an SDK abort or `break`), or we destroyed it.
  res.once('close', () => {
    if (!res.writableFinished) clientGone = true;
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...headers,
  });
  res.flushHeaders();

  const limit = opts.cutAfter === undefined ? frames.length : Math.min(opts.cutAfter, frames.length);
  for (let i = 0; i < limit; i++) {
    if (i > 0 && opts.delayMs > 0) await sleep(opts.delayMs);
    if (clientGone || res.destroyed) return 'client-closed';
    const last = i === limit - 1 && opts.cutAfter !== undefined;
    if (last) {
      // Wait until the final frame reaches the socket, or destroy() could discard it.
      await new Promise<void>((resolve) => res.write(frames[i]!, () => resolve()));
    } else {
      res.write(frames[i]!);
    }
    opts.onFrame();
  }

  if (opts.cutAfter !== undefined) {
    if (clientGone || res.destroyed) return 'client-closed';
    // Destroying the socket (rather than ending the response) leaves the chunked body unterminated,
    // which is what a dropped connection looks like to the client's fetch.
    res.socket?.destroy();
    return 'truncated';
  }
  if (clientGone || res.destroyed) return 'client-closed';
  await new Promise<void>((resolve) => res.end(() => resolve()));
  return 'completed';
}
