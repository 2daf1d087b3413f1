import { describe, expect, it } from 'vitest';
import type { GenAiRequest } from '../../src/instrumentation/call.ts';
import { MetricAttributes } from '../../src/instrumentation/metric-attributes.ts';

const req = (model: string, extra: Partial<GenAiRequest> = {}): GenAiRequest => ({
  provider: 'openai',
  operation: 'chat',
  model,
  stream: false,
  serverAddress: 'api.openai.com',
  serverPort: 443,
  ...extra,
});
// Strings as a response parser makes them: equal content, distinct objects.
const fresh = (s: string) => JSON.parse(JSON.stringify(s)) as string;

describe('metric attribute sets', () => {
  it('one frozen object per distinct set of values, from the recent entries and past them', () => {
    const m = new MetricAttributes([]);
    const a = m.get(req('gpt-4o-mini'), fresh('gpt-4o-mini-2024-07-18'), undefined, {});
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'server.address': 'api.openai.com',
      'server.port': 443,
    });
    expect(m.get(req(fresh('gpt-4o-mini')), fresh('gpt-4o-mini-2024-07-18'), undefined, {})).toBe(a);
    // Every value counts: each differing one gives its own set.
    const variants = [
      m.get(req('gpt-4o-mini'), undefined, undefined, {}),
      m.get(req('gpt-4o-mini'), 'gpt-4o-mini-2024-07-18', '429', {}),
      m.get(req('gpt-4o-mini', { operation: 'embeddings' }), 'gpt-4o-mini-2024-07-18', undefined, {}),
      m.get(req('gpt-4o-mini', { provider: 'groq' }), 'gpt-4o-mini-2024-07-18', undefined, {}),
      m.get(req('gpt-4o-mini', { serverPort: 8443 }), 'gpt-4o-mini-2024-07-18', undefined, {}),
      m.get(req('gpt-4o-mini', { serverAddress: 'x.test' }), 'gpt-4o-mini-2024-07-18', undefined, {}),
    ];
    expect(new Set([a, ...variants]).size).toBe(7);
    expect(variants[0]).not.toHaveProperty('gen_ai.response.model');
    expect(variants[1]).toMatchObject({ 'error.type': '429' });
    expect(variants[3]).toMatchObject({ 'gen_ai.provider.name': 'groq' });
    // Pushed out of the recent entries by the six above: found again in the cache.
    expect(m.get(req('gpt-4o-mini'), 'gpt-4o-mini-2024-07-18', undefined, {})).toBe(a);
    expect(m.get(req('gpt-4o-mini'), 'gpt-4o-mini-2024-07-18', '429', {})).toBe(variants[1]);
  });

  it('configured scope labels are part of the set', () => {
    const m = new MetricAttributes(['tenant']);
    const acme = m.get(req('m'), undefined, undefined, { tenant: 'acme', agent: 'x' });
    const other = m.get(req('m'), undefined, undefined, { tenant: 'other', agent: 'x' });
    expect(acme).toMatchObject({ 'bursar.scope.tenant': 'acme' });
    expect(acme).not.toHaveProperty('bursar.scope.agent');
    expect(other).not.toBe(acme);
    expect(m.get(req('m'), undefined, undefined, { tenant: 'acme', agent: 'y' })).toBe(acme);
  });
});
