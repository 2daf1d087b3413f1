import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IGNORED_TWIN } from '../../alerts/generator/case-helpers.ts';
import { POLICY } from '../../alerts/generator/promql.ts';
import { RULES_FILE, TESTS_FILE } from '../../alerts/generator/rule-files.ts';
import { ALERTS_DIR } from '../../alerts/generator/render.ts';
import { run } from './helpers/binaries.ts';

/**
 * The boundary cases sit exactly on the thresholds: turning each strict comparison into an
 * inclusive one (or the reverse) must make precisely those cases fail. A boundary case that
 * still passes under the mutation would not be testing the boundary at all.
 */

/** Each case runs the whole promtool test file (≈13 s alone on 2 cores). */
const PROMTOOL_MS = 120_000;

const dir = mkdtempSync(path.join(tmpdir(), 'bursar-boundaries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const testNames = (
  parse(readFileSync(path.join(ALERTS_DIR, TESTS_FILE), 'utf8')) as { tests: { name: string }[] }
).tests.map((t) => t.name);

/** Runs the committed promtool tests against a mutated copy of the rules; returns the failing test names. */
async function failingUnder(mutate: (rules: string) => string): Promise<Set<string>> {
  const rules = readFileSync(path.join(ALERTS_DIR, RULES_FILE), 'utf8');
  const mutated = mutate(rules);
  expect(mutated).not.toBe(rules);
  writeFileSync(path.join(dir, RULES_FILE), mutated);
  copyFileSync(path.join(ALERTS_DIR, TESTS_FILE), path.join(dir, TESTS_FILE));
  const r = await run('promtool', ['test', 'rules', TESTS_FILE], { cwd: dir });
  expect(r.code, 'the mutated rules must fail some test').not.toBe(0);
  const out = r.stdout + r.stderr;
  return new Set(testNames.filter((n) => out.includes(`name: ${n},`)));
}

describe('promtool boundary cases', () => {
  it(
    'quiet cases "exactly at" a strict threshold fire once the comparison includes it',
    async () => {
      const failing = await failingUnder((rules) => rules.replace(/ ([<>]) (?=[\d(a-z])/g, ' $1= '));
      const boundaries = testNames.filter((n) => / quiet: .*exactly/.test(n));
      expect(boundaries.length).toBeGreaterThanOrEqual(8);
      expect(boundaries.filter((n) => !failing.has(n))).toEqual([]);
    },
    PROMTOOL_MS,
  );

  it(
    'firing cases "exactly at" an inclusive threshold stop firing once it is excluded',
    async () => {
      const failing = await failingUnder((rules) => rules.replace(/ ([<>])= /g, ' $1 '));
      const boundaries = testNames.filter((n) => / fires: .*exactly/.test(n));
      expect(boundaries.length).toBeGreaterThanOrEqual(2);
      expect(boundaries.filter((n) => !failing.has(n))).toEqual([]);
    },
    PROMTOOL_MS,
  );

  it(
    'firing cases with an IGNORE twin fail once the rules stop leaving IGNORE budgets out',
    async () => {
      const failing = await failingUnder((rules) => rules.replaceAll(POLICY.ignored, 'policy="NONE"'));
      const cases = testNames.filter((n) => n.includes(` fires: `) && n.endsWith(IGNORED_TWIN));
      // Threshold, projection, exhaustion and every burn-rate pair.
      expect(cases.length).toBeGreaterThanOrEqual(9);
      expect(cases.filter((n) => !failing.has(n))).toEqual([]);
    },
    PROMTOOL_MS,
  );

  it(
    "BursarBudgetExceeded's cases fail once its severity no longer follows the policy",
    async () => {
      const failing = await failingUnder((rules) =>
        rules.replace(POLICY.enforcing, 'policy=~".+"').replace(POLICY.warnOnly, 'policy=~".+"'),
      );
      // Every firing case now gets alerts of the other severity (and IGNORE ones); IGNORE stops being quiet.
      const cases = testNames.filter(
        (n) => n.startsWith('BursarBudgetExceeded{') && / (fires: |quiet: IGNORE)/.test(n),
      );
      expect(cases.length).toBe(4);
      expect(cases.filter((n) => !failing.has(n))).toEqual([]);
    },
    PROMTOOL_MS,
  );
});
