import { z } from 'zod';
import {
  commitSchema,
  fastCommit,
  fastReserve,
  type ReserveRequest,
  reserveSchema,
} from '../../../budget/requests.ts';
import type { Reservation } from '../../../store/store.ts';
import { type TokenUsage, type TokenUsageFields, usageInclusionIssues } from '../../../usage/token-usage.ts';
import { ValidationError } from '../../../validation/errors.ts';
import { type Principal, tenantOf } from '../../auth/principal.ts';
import { budgetFilter, canSeeReservation, confineScope } from '../access.ts';
import { costSchema, costView, tokenUsageViewSchema, usageView } from '../cost-view.ts';
import { decisionSchema, decisionView } from '../decision-view.ts';
import { ApiError, errorDetailSchema, notFound } from '../errors.ts';
import { reservationSchema, reservationView } from '../reservation-view.ts';
import { sendJson } from '../respond.ts';
import { type ApiDeps, defineRoute, fastBody, named, param, type Route } from '../route.ts';

named(
  'ReserveRequest',
  reserveSchema,
  'A check request plus ttlMs (default 120000, at most 3600000) and an idempotencyKey: a retry with the same key answers the first reservation again.',
);
named(
  'CommitRequest',
  commitSchema,
  "The call's actual usage (token counts: cacheRead and cacheWrite are part of input, reasoning is part of output). Labels left out are the reservation's; the record id defaults to reservation:<id>.",
);

const reserveResponse = named(
  'ReserveResponse',
  z.strictObject({
    reservation: reservationSchema,
    decision: decisionSchema,
    replayed: z
      .boolean()
      .describe('true when the idempotency key was seen before: this is the first answer again.'),
  }),
);
const unheldResponse = named(
  'ReserveUnheldResponse',
  z.strictObject({
    reservation: z.null(),
    decision: decisionSchema,
    replayed: z.literal(false),
    storeUnavailable: z
      .literal(true)
      .describe(
        'The budget store could not be reached; every matching budget fails open, so the call may go ahead but nothing is held. Record its usage with POST /v1/usage.',
      ),
  }),
);
const deniedResponse = named(
  'BudgetExceeded',
  z.strictObject({ error: errorDetailSchema, decision: decisionSchema }),
);
const commitResponse = named(
  'CommitResponse',
  z.strictObject({
    status: z
      .enum(['committed', 'late'])
      .describe('late: the reservation had expired before the commit; the usage is recorded all the same.'),
    reservationId: z.string(),
    recordId: z.string(),
    cost: costSchema,
    usage: tokenUsageViewSchema,
    overage: z
      .record(z.string(), z.number().int())
      .describe(
        'Per budget id: actual minus held, in counter units (positive: the call used more than it reserved).',
      ),
  }),
);
const conflictResponse = named(
  'ReservationConflict',
  z.strictObject({ error: errorDetailSchema, reservation: reservationSchema }),
);
const releaseResponse = named(
  'ReleaseResponse',
  z.strictObject({
    reservation: reservationSchema,
    released: z.boolean().describe('false when it was already released or expired (DELETE is idempotent).'),
  }),
);
const reservationList = named(
  'ReservationList',
  z.strictObject({ reservations: z.array(reservationSchema) }),
);

/**
 * Idempotency keys live in one namespace in the store; a tenant key's are prefixed with
 * its tenant so two tenants choosing the same key never replay each other's reservation.
 */
function keyPrefix(p: Principal): string | undefined {
  const tenant = tenantOf(p);
  return tenant === undefined ? undefined : `tenant:${tenant}:`;
}

function completeFields(f: TokenUsageFields): TokenUsage {
  return {
    input: f.input ?? 0,
    output: f.output ?? 0,
    cacheRead: f.cacheRead ?? 0,
    cacheWrite: f.cacheWrite ?? 0,
    cacheWrite1h: f.cacheWrite1h ?? 0,
    reasoning: f.reasoning ?? 0,
  };
}

function view(p: Principal, r: Reservation, visible?: (b: { budgetId: string; group: string }) => boolean) {
  const v = reservationView(r);
  // A hold's counter key is budget id, group and period start joined by U+0000.
  if (visible)
    v.holds = v.holds.filter((_, i) =>
      visible({ budgetId: r.holds[i]!.budgetId, group: r.holds[i]!.key.split('\u0000')[1] ?? '' }),
    );
  const prefix = keyPrefix(p);
  if (prefix !== undefined && v.idempotencyKey?.startsWith(prefix))
    v.idempotencyKey = v.idempotencyKey.slice(prefix.length);
  return v;
}

export function reservationRoutes({ engine }: ApiDeps): Route[] {
  const specOf = (id: string) => engine.budget(id)?.spec;
  const show = (p: Principal, r: Reservation) => view(p, r, budgetFilter(p, specOf));
  const visible = async (p: Principal, id: string): Promise<Reservation> => {
    const r = await engine.store.getReservation(id);
    if (!r || !canSeeReservation(p, r)) throw notFound(`reservation ${id}`);
    return r;
  };
  const conflict = (
    p: Principal,
    r: Reservation,
    code: 'already_committed' | 'reservation_released' | 'reservation_committed',
    message: string,
  ) => new ApiError(409, code, message, { extra: { reservation: show(p, r) } });

  return [
    defineRoute({
      method: 'post',
      path: '/v1/reservations',
      access: 'use',
      tag: 'enforcement',
      summary: 'Hold the estimate on every matching budget at once, or on none',
      description:
        "The holds are placed atomically; a HARD limit (or a SOFT limit plus its grace) that would be passed denies with 402 and holds nothing. With an idempotencyKey seen before, the first reservation is answered again (replayed: true). ttlMs defaults to 120000 (at most 3600000); an expired reservation's holds are dropped.",
      body: fastBody(fastReserve),
      responses: {
        201: { description: 'Reserved (or replayed).', schema: reserveResponse },
        200: {
          description: 'Store unavailable and every matching budget fails open: go ahead, nothing held.',
          schema: unheldResponse,
        },
        402: {
          description: 'A limit denies (error.code budget_exceeded); nothing is held.',
          schema: deniedResponse,
        },
        503: {
          description: 'Store unavailable and a budget fails closed (error.code store_unavailable).',
          schema: deniedResponse,
        },
      },
      async handle({ res, principal, body }) {
        const scope = confineScope(principal, body.scope);
        const prefix = keyPrefix(principal);
        let req: ReserveRequest = scope === body.scope ? body : { ...body, scope };
        if (prefix !== undefined && req.idempotencyKey !== undefined)
          req = { ...req, idempotencyKey: prefix + req.idempotencyKey };
        const result = await engine.reserveCall(req);
        const decision = decisionView(result.decision, budgetFilter(principal, specOf));
        if (result.reservation) {
          sendJson(res, 201, {
            reservation: show(principal, result.reservation),
            decision,
            replayed: result.replayed === true,
          });
        } else if (result.storeUnavailable && result.decision.allowed) {
          sendJson(res, 200, { reservation: null, decision, replayed: false, storeUnavailable: true });
        } else if (result.storeUnavailable) {
          const message = `budget store unavailable and a budget fails closed: ${result.decision.reasons.join('; ')}`;
          sendJson(res, 503, { error: { code: 'store_unavailable', message }, decision });
        } else {
          const message = `budget exceeded: ${result.decision.reasons.join('; ')}`;
          sendJson(res, 402, { error: { code: 'budget_exceeded', message }, decision });
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/reservations/{id}/commit',
      access: 'use',
      tag: 'enforcement',
      summary: 'Record the actual usage of a reserved call and drop its holds',
      description:
        "Labels not given default to the reservation's. The usage is recorded whatever its size (overage is never dropped). A reservation that expired first is still committed (status late). A second commit is 409 already_committed; a commit after DELETE is 409 reservation_released (if the call did happen, send its usage to POST /v1/usage).",
      body: fastBody(fastCommit),
      responses: {
        200: { description: 'Committed.', schema: commitResponse },
        409: { description: 'Already committed, or released by DELETE.', schema: conflictResponse },
      },
      async handle(call) {
        const { res, principal, body } = call;
        const id = param(call, 'id');
        const r = await visible(principal, id);
        if (body.scope !== undefined) confineScope(principal, body.scope);
        // The inclusion rules (cache ⊂ input, reasoning ⊂ output), named by their full path.
        const broken = usageInclusionIssues(completeFields(body.usage))[0];
        if (broken) throw new ValidationError(`usage.${broken.path.join('.')}`, broken.message, 'commit');
        if (r.state === 'committed')
          throw conflict(
            principal,
            r,
            'already_committed',
            `reservation ${id} is already committed (record ${r.recordId ?? '?'})`,
          );
        if (r.state === 'released')
          throw conflict(
            principal,
            r,
            'reservation_released',
            `reservation ${id} was released; if the call did happen, send its usage to POST /v1/usage`,
          );
        const result = await engine.commitUsage(id, body);
        if (result.status === 'not_found') throw notFound(`reservation ${id}`);
        const record = result.record!;
        if (result.status === 'duplicate') {
          const now = (await engine.store.getReservation(id)) ?? r;
          throw conflict(principal, now, 'already_committed', `reservation ${id} is already committed`);
        }
        sendJson(res, 200, {
          status: result.status,
          reservationId: id,
          recordId: record.id,
          cost: costView(record.cost),
          usage: usageView(record.usage),
          overage: result.overage ?? {},
        });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/reservations/{id}',
      access: 'use',
      tag: 'enforcement',
      summary: 'Release a reservation: drop its holds, record nothing',
      responses: {
        200: { description: 'Released (or already released or expired).', schema: releaseResponse },
        409: {
          description: 'Already committed (error.code reservation_committed).',
          schema: conflictResponse,
        },
      },
      async handle(call) {
        const { res, principal } = call;
        const id = param(call, 'id');
        const r = await visible(principal, id);
        if (r.state === 'committed')
          throw conflict(
            principal,
            r,
            'reservation_committed',
            `reservation ${id} is already committed; nothing to release`,
          );
        const released = r.state === 'active' ? await engine.release(id) : undefined;
        const now = released ?? (await engine.store.getReservation(id)) ?? r;
        if (now.state === 'committed')
          throw conflict(
            principal,
            now,
            'reservation_committed',
            `reservation ${id} was committed meanwhile`,
          );
        sendJson(res, 200, { reservation: show(principal, now), released: released !== undefined });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reservations/{id}',
      access: 'use',
      tag: 'enforcement',
      summary: 'One reservation and its state',
      responses: { 200: { description: 'The reservation.', schema: reservationSchema } },
      async handle(call) {
        const r = await visible(call.principal, param(call, 'id'));
        sendJson(call.res, 200, show(call.principal, r));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reservations',
      access: 'use',
      tag: 'enforcement',
      summary: 'Active reservations (a tenant key sees its own)',
      responses: { 200: { description: 'Active reservations, oldest first.', schema: reservationList } },
      async handle({ res, principal }) {
        const all = await engine.store.activeReservations();
        const mine = all
          .filter((r) => canSeeReservation(principal, r))
          .sort((a, b) => a.createdAt - b.createdAt);
        sendJson(res, 200, { reservations: mine.map((r) => show(principal, r)) });
      },
    }),
  ];
}
