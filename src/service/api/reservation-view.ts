import { z } from 'zod';
import type { Reservation } from '../../store/store.ts';
import { isoSchema, isoTime } from './money.ts';
import { named } from './route.ts';

export const reservationSchema = named(
  'Reservation',
  z.strictObject({
    id: z.string(),
    idempotencyKey: z.string().optional(),
    state: z
      .enum(['active', 'committed', 'released', 'expired'])
      .describe('active until committed, released (DELETE) or expired (ttl passed; its holds were dropped).'),
    createdAt: isoSchema,
    expiresAt: isoSchema,
    holds: z
      .array(
        z.strictObject({
          budgetId: z.string(),
          amount: z
            .number()
            .int()
            .describe("Held amount in the budget's counter unit (nano-USD for cost budgets)."),
        }),
      )
      .describe('One hold per matching budget, all placed at once or none.'),
    request: z.strictObject({
      scope: z.record(z.string(), z.string()),
      provider: z.string().optional(),
      model: z.string().optional(),
      operation: z.string().optional(),
      tool: z.string().optional(),
    }),
    recordId: z.string().optional().describe('The usage record written by the commit.'),
  }),
);
export type ReservationView = z.output<typeof reservationSchema>;

export function reservationView(r: Reservation): ReservationView {
  const out: ReservationView = {
    id: r.id,
    state: r.state,
    createdAt: isoTime(r.createdAt),
    expiresAt: isoTime(r.expiresAt),
    holds: r.holds.map((h) => ({ budgetId: h.budgetId, amount: h.amount })),
    request: { ...r.request, scope: { ...r.request.scope } },
  };
  if (r.idempotencyKey !== undefined) out.idempotencyKey = r.idempotencyKey;
  if (r.recordId !== undefined) out.recordId = r.recordId;
  return out;
}
