import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServiceContext } from '../context.ts';

export interface EventHub {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

// PLACEHOLDER: replaced by the WebSocket hub.
export function createEventHub(_ctx: ServiceContext): EventHub {
  return {
    handleUpgrade(_req, socket) {
      socket.destroy();
    },
    close: () => Promise.resolve(),
  };
}
