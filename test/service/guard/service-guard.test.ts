import { statusReport } from '../../../src/budget/status.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BudgetExceededError, BudgetUnavailableError, Guard } from '../../../src/instrumentation/guard.ts';
import { instrumentOpenAIClient } from '../../../src/instrumentation/providers/openai.ts';
import { ServiceBackend } from '../../../src/instrumentation/service-backend.ts';
import { withBudgetScope } from '../../../src/instrumentation/scope.ts';
import { otelHarness } from '../../helpers/otel.ts';
import { startTestService, type TestService } from '../../helpers/service.ts';
import { type MockProvider, openaiClient, startMockProvider } from '../../mock-provider/index.ts';

// The guard reserving against a real bursar service over HTTP, with tenant keys.
const ACME_KEY = 'acme-tenant-key-000001';
let svc: TestService;
let mock: MockProvider;
beforeAll(async () => {
  mock = await startMockProvider();
  svc = await startTestService({
    auth: {
      keys: [
        { name: 'ops', key: 'admin-key-00000000001', role: 'admin' },
        { name: 'acme', key: ACME_KEY, role: 'tenant', tenant: 'acme' },
      ],
    },
    budgets: [
      {
        id: 'acme-requests',
        selector: { tenant: 'acme' },
        resource: 'requests',
        period: 'day',
        limit: 2,
        policy: 'HARD_LIMIT',
      },
      {
        id: 'acme-tokens',
        selector: { tenant: 'acme' },
        resource: 'tokens',
        period: 'day',
        limit: 1_000_000,
        policy: 'WARN',
      },
    ],
  });
});
afterAll(async () => {
  await svc.stop();
  await mock.close();
});
beforeEach(() => mock.reset());

const messages = [{ role: 'user' as const, content: 'hello there' }];

function guarded(backend: ServiceBackend, failMode: 'open' | 'closed' = 'closed') {
  const h = otelHarness();
  h.telemetry.guard = new Guard({ backend, failMode });
  return instrumentOpenAIClient(openaiClient(mock), h.telemetry);
}

async function usedTokens(): Promise<number> {
  return (await statusReport(svc.context.engine, ['acme-tokens'])).budgets[0]!.used;
}

/** The guard commits after the call has returned: poll until it landed (bounded). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('guard against the bursar service (HTTP)', () => {
  it('reserves, calls, commits the provider usage; a HARD denial sends nothing to the provider', async () => {
    const client = guarded(new ServiceBackend({ url: svc.apiUrl, apiKey: ACME_KEY }));
    for (let i = 0; i < 2; i++) {
      const r = await withBudgetScope({ tenant: 'acme', agent: 'a1' }, () =>
        client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 50 }),
      );
      expect(r.usage?.total_tokens).toBe(1500);
    }
    await eventually(async () => (await usedTokens()) === 3000);
    expect(await usedTokens()).toBe(3000);
    const sent = mock.requests.length;
    const err = await withBudgetScope({ tenant: 'acme' }, () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toMatchObject({
      budget: 'acme-requests',
      policy: 'HARD_LIMIT',
      limit: 2,
      used: 2,
      requested: 1,
    });
    expect(mock.requests.length).toBe(sent);
    // Nothing is left held by the denial or by the committed calls.
    const active = await svc.context.engine.store.activeReservations();
    expect(active).toEqual([]);
  });

  it('a tenant key cannot reserve for another tenant', async () => {
    const backend = new ServiceBackend({ url: svc.apiUrl, apiKey: ACME_KEY });
    await expect(
      backend.reserve({ scope: { tenant: 'globex' }, estimate: { inputTokens: 1 } }),
    ).rejects.toThrow(/403/);
  });

  it('fails closed or open as configured when the service is unreachable', async () => {
    const down = 'http://127.0.0.1:9';
    const closed = guarded(new ServiceBackend({ url: down, timeoutMs: 500 }), 'closed');
    const sent = mock.requests.length;
    await expect(closed.chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toBeInstanceOf(
      BudgetUnavailableError,
    );
    expect(mock.requests.length).toBe(sent);
    const open = guarded(new ServiceBackend({ url: down, timeoutMs: 500 }), 'open');
    const r = await open.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(r.usage?.total_tokens).toBe(1500);
  });
});
