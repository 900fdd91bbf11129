import type { Database } from './database.js';

/** One change of money or cards, as the audit log keeps it. */
export interface AuditEntry {
  id: string;
  at: Date;
  requestId: string;
  actorKind: 'user' | 'service';
  actor: string | null;
  actorAdmin: boolean;
  action: string;
  status: number;
  target: Record<string, string>;
  amount: number | null;
  currency: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

interface AuditRow {
  id: string | number;
  at: Date;
  request_id: string;
  actor_kind: 'user' | 'service';
  actor: string | null;
  actor_admin: boolean;
  action: string;
  status: number;
  target: Record<string, string>;
  amount: number | null;
  currency: string | null;
}

const toEntry = (row: AuditRow): AuditEntry => ({
  id: String(row.id),
  at: row.at,
  requestId: row.request_id,
  actorKind: row.actor_kind,
  actor: row.actor,
  actorAdmin: row.actor_admin,
  action: row.action,
  status: row.status,
  target: row.target,
  amount: row.amount,
  currency: row.currency,
});

/**
 * The insert of one audit row, its parameters numbered from `first`: on its own, or as a part of
 * the statement that stores an Idempotency-Key's answer (the row and the answer in one commit).
 */
export function auditInsert(entry: NewAuditEntry, first: number): { text: string; params: unknown[] } {
  const params = [
    entry.requestId, entry.actorKind, entry.actor, entry.actorAdmin, entry.action, entry.status, JSON.stringify(entry.target), entry.amount, entry.currency,
  ];
  return {
    text: `INSERT INTO audit_log (request_id, actor_kind, actor, actor_admin, action, status, target, amount, currency)
       VALUES (${params.map((_, i) => `$${first + i}`).join(', ')})`,
    params,
  };
}

/** The append-only audit log (the table refuses updates and deletes). */
export class AuditLogRepository {
  constructor(private readonly db: Database) {}

  async append(entry: NewAuditEntry): Promise<void> {
    const insert = auditInsert(entry, 1);
    await this.db.query(insert.text, insert.params);
  }

  /** Newest first, `limit` rows with an id below `before`, of one action or all. */
  async list(filter: { action?: string | undefined }, limit: number, before: string | null): Promise<AuditEntry[]> {
    const { rows } = await this.db.query<AuditRow>(
      `SELECT * FROM audit_log WHERE ($1::text IS NULL OR action = $1) AND ($2::bigint IS NULL OR id < $2)
       ORDER BY id DESC LIMIT $3`,
      [filter.action ?? null, before, limit],
    );
    return rows.map(toEntry);
  }
}
