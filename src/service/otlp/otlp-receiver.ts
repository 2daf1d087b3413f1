import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceContext } from '../context.ts';

export interface OtlpReceiver {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Resolves once every accepted request has been committed and answered. */
  drain(): Promise<void>;
}

// PLACEHOLDER: replaced by the OTLP receiver.
export function createOtlpReceiver(_ctx: ServiceContext): OtlpReceiver {
  return {
    handle(_req, res) {
      res.writeHead(501).end();
    },
    drain: () => Promise.resolve(),
  };
}
