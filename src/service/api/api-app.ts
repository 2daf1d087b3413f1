import express from 'express';
import type { ServiceContext } from '../context.ts';

// PLACEHOLDER: replaced by the REST API.
export function createApiApp(_ctx: ServiceContext): express.Express {
  const app = express();
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return app;
}
