import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULES_FILE } from '../../alerts/generator/rule-files.ts';
import { ALERTS_DIR } from '../../alerts/generator/render.ts';

/** alerts/RUNBOOK.md has a complete section for every alert, and every runbook link lands on one. */

const runbook = readFileSync(path.join(ALERTS_DIR, 'RUNBOOK.md'), 'utf8');
const rules = (
  parse(readFileSync(path.join(ALERTS_DIR, RULES_FILE), 'utf8')) as {
    groups: { rules: { alert?: string; annotations?: { runbook_url: string } }[] }[];
  }
).groups.flatMap((g) => g.rules.filter((r) => r.alert));

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** `## Heading` → the section's text up to the next `## `. */
function sections(md: string): Map<string, { heading: string; body: string }> {
  const out = new Map<string, { heading: string; body: string }>();
  const parts = md.split(/^## /m).slice(1);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    const heading = part.slice(0, nl);
    out.set(anchor(heading), { heading, body: part.slice(nl + 1) });
  }
  return out;
}

const bySlug = sections(runbook);

describe('alerts/RUNBOOK.md', () => {
  it('has a section for every alert, each anchor resolving', () => {
    for (const r of rules) {
      const url = r.annotations!.runbook_url;
      const fragment = url.slice(url.indexOf('#') + 1);
      expect(url.split('#')[0], r.alert).toMatch(/\/alerts\/RUNBOOK\.md$/);
      const section = bySlug.get(fragment);
      expect(section, `${r.alert}: no heading for #${fragment}`).toBeDefined();
      expect(section!.heading).toBe(r.alert);
    }
  });

  it('gives each section its meaning, impact, PromQL to diagnose and what to do', () => {
    for (const { heading, body } of bySlug.values()) {
      for (const part of ['**Meaning.**', '**Impact.**', '**Diagnose.**', '**What to do.**']) {
        expect(body, `${heading}: ${part}`).toContain(part);
      }
      const diagnose = body.slice(body.indexOf('**Diagnose.**'), body.indexOf('**What to do.**'));
      expect(diagnose, `${heading}: a promql block`).toMatch(/```promql\n[^`]+```/);
    }
  });

  it('has no section for an alert that does not exist', () => {
    const names = new Set(rules.map((r) => r.alert));
    expect([...bySlug.values()].map((s) => s.heading).filter((h) => !names.has(h))).toEqual([]);
  });
});
