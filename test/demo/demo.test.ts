import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('npm run demo', () => {
  it('fills budgets, warns on the WARN budget, denies on the HARD one, and counts each call once', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DEMO_ROUNDS: '6' };
    for (const k of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY'])
      delete env[k];
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [path.join(root, 'demo/run.ts')],
        { env, timeout: 60_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(out).toContain('providers: openai mock, anthropic mock, gemini mock');
    // Writer: 4 calls of 2,770 tokens fit under 12,000; the fifth reservation (1,046 more) does not.
    expect(out.match(/writer {5}anthropic ok {6}2770 tokens/g)).toHaveLength(4);
    expect(out).toMatch(
      /writer {5}anthropic DENIED {2}by writer-tokens \(HARD_LIMIT\): 11080 used \+ 1046 requested > 12000 — no request was sent/,
    );
    expect(out).toMatch(/check → warn: fleet-cost: at [\d.]+% of \$0\.03/);
    expect(out).toContain('⚠ alert: fleet-cost crossed 50%');
    expect(out).toMatch(/│ writer-tokens +│ HARD_LIMIT │ day +│ tokens +│ +11080 │/);
    // 6 researcher + 4 writer + 6 reviewer calls: spans over OTLP and guard commits share record ids.
    expect(out).toContain('recorded 16 calls');
    expect(out).toContain('spans over OTLP: 0 new, 16 already committed by the guard');
  });
});
