import type Database from 'better-sqlite3';
import type { BudgetSpec } from '../budget/budget-spec.ts';
import type { AuditEntry, Override, Snapshot } from './store.ts';

/**
 * Budgets, overrides, the audit log, snapshots and marks on disk. These change rarely
 * (admin calls, a snapshot per interval) and are read straight from the tables; only
 * marks sit on a hot path and go through the group commit.
 *
 * Lists come back in rowid order, which is the memory store's insertion order (an upsert
 * keeps its row, so a re-saved budget keeps its place, as in a Map).
 */

interface OverrideDbRow {
  id: string;
  budget_id: string;
  grp: string | null;
  amount: number;
  created_at: number;
  expires_at: number;
  reason: string;
  author: string;
}

interface SnapshotDbRow {
  time: number;
  budget_id: string;
  grp: string;
  period_start: number;
  used: number;
  reserved: number;
  limit_units: number;
}

export class AdminTables {
  readonly #budgets: Database.Statement<[], string>;
  readonly #putBudget: Database.Statement;
  readonly #deleteBudget: Database.Statement;
  readonly #overrides: Database.Statement<[], OverrideDbRow>;
  readonly #putOverride: Database.Statement;
  readonly #deleteOverride: Database.Statement;
  readonly #audit: Database.Statement<[number], AuditEntry>;
  readonly #putAudit: Database.Statement;
  readonly #snapshots: Database.Statement<[string, number, number], SnapshotDbRow>;
  readonly #putSnapshot: Database.Statement;
  readonly #hasMark: Database.Statement<[string], number>;
  readonly #putMark: Database.Statement;
  readonly #getCursor: Database.Statement<[string], string>;
  readonly #putCursor: Database.Statement;

  constructor(db: Database.Database) {
    this.#budgets = db.prepare<[], string>('SELECT spec FROM budgets ORDER BY rowid').pluck();
    this.#putBudget = db.prepare(
      'INSERT INTO budgets (id, spec) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec',
    );
    this.#deleteBudget = db.prepare('DELETE FROM budgets WHERE id = ?');
    this.#overrides = db.prepare(
      'SELECT id, budget_id, grp, amount, created_at, expires_at, reason, author FROM overrides ORDER BY rowid',
    );
    this.#putOverride = db.prepare(
      `INSERT INTO overrides (id, budget_id, grp, amount, created_at, expires_at, reason, author)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET budget_id = excluded.budget_id, grp = excluded.grp, amount = excluded.amount,
         created_at = excluded.created_at, expires_at = excluded.expires_at, reason = excluded.reason,
         author = excluded.author`,
    );
    this.#deleteOverride = db.prepare('DELETE FROM overrides WHERE id = ?');
    this.#audit = db.prepare(
      'SELECT time, action, subject, author, detail FROM audit ORDER BY seq DESC LIMIT ?',
    );
    this.#putAudit = db.prepare(
      'INSERT INTO audit (time, action, subject, author, detail) VALUES (?, ?, ?, ?, ?)',
    );
    this.#snapshots = db.prepare(
      `SELECT time, budget_id, grp, period_start, used, reserved, limit_units FROM snapshots
       WHERE budget_id = ? AND time >= ? AND time < ? ORDER BY seq`,
    );
    this.#putSnapshot = db.prepare(
      `INSERT INTO snapshots (time, budget_id, grp, period_start, used, reserved, limit_units)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#hasMark = db.prepare<[string], number>('SELECT 1 FROM marks WHERE key = ?').pluck();
    this.#putMark = db.prepare(
      'INSERT INTO marks (key, created_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
    );
    this.#getCursor = db.prepare<[string], string>('SELECT value FROM cursors WHERE key = ?').pluck();
    this.#putCursor = db.prepare(
      `INSERT INTO cursors (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
  }

  budgets(): BudgetSpec[] {
    return this.#budgets.all().map((json) => JSON.parse(json) as BudgetSpec);
  }
  putBudget(spec: BudgetSpec): void {
    this.#putBudget.run(spec.id, JSON.stringify(spec));
  }
  deleteBudget(id: string): void {
    this.#deleteBudget.run(id);
  }

  overrides(): Override[] {
    return this.#overrides.all().map((row) => {
      const o: Override = {
        id: row.id,
        budgetId: row.budget_id,
        amount: row.amount,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        reason: row.reason,
        author: row.author,
      };
      if (row.grp !== null) o.group = row.grp;
      return o;
    });
  }
  putOverride(o: Override): void {
    this.#putOverride.run(
      o.id,
      o.budgetId,
      o.group ?? null,
      o.amount,
      o.createdAt,
      o.expiresAt,
      o.reason,
      o.author,
    );
  }
  /** True when the override existed. */
  deleteOverride(id: string): boolean {
    return this.#deleteOverride.run(id).changes > 0;
  }

  /** Newest first. */
  audit(limit: number): AuditEntry[] {
    return this.#audit.all(limit);
  }
  putAudit(a: AuditEntry): void {
    this.#putAudit.run(a.time, a.action, a.subject, a.author, a.detail);
  }

  snapshots(budgetId: string, from: number, to: number): Snapshot[] {
    return this.#snapshots.all(budgetId, from, to).map((row) => ({
      time: row.time,
      budgetId: row.budget_id,
      group: row.grp,
      periodStart: row.period_start,
      used: row.used,
      reserved: row.reserved,
      limit: row.limit_units,
    }));
  }
  putSnapshot(s: Snapshot): void {
    this.#putSnapshot.run(s.time, s.budgetId, s.group, s.periodStart, s.used, s.reserved, s.limit);
  }

  hasMark(key: string): boolean {
    return this.#hasMark.get(key) !== undefined;
  }
  putMark(key: string, at: number): void {
    this.#putMark.run(key, at);
  }

  cursor(key: string): string | undefined {
    return this.#getCursor.get(key);
  }
  putCursor(key: string, value: string, at: number): void {
    this.#putCursor.run(key, value, at);
  }
}

/** An admin write, as plain data: it is posted to the writer thread and run there. */
export type AdminOp =
  | { op: 'putBudget'; spec: BudgetSpec }
  | { op: 'deleteBudget'; id: string }
  | { op: 'putOverride'; override: Override }
  | { op: 'deleteOverride'; id: string; audit: AuditEntry }
  | { op: 'putAudit'; audit: AuditEntry }
  | { op: 'putSnapshot'; snapshot: Snapshot }
  | { op: 'putCursor'; key: string; value: string; at: number };

/**
 * Runs one admin op; returns its result (deleteOverride: whether it existed, and only
 * then is its audit entry written — decided in the same transaction, so it is exact).
 */
export function applyAdminOp(admin: AdminTables, o: AdminOp): unknown {
  switch (o.op) {
    case 'putBudget':
      return admin.putBudget(o.spec);
    case 'deleteBudget':
      return admin.deleteBudget(o.id);
    case 'putOverride':
      return admin.putOverride(o.override);
    case 'deleteOverride': {
      const had = admin.deleteOverride(o.id);
      if (had) admin.putAudit(o.audit);
      return had;
    }
    case 'putAudit':
      return admin.putAudit(o.audit);
    case 'putSnapshot':
      return admin.putSnapshot(o.snapshot);
    case 'putCursor':
      return admin.putCursor(o.key, o.value, o.at);
  }
}
