import type { Queryable } from './database.js';

/** One object as written: its JSON taken when it was written, so a later change to it is not. */
interface ObjectWrite {
  id: string;
  type: string;
  lookupKey: string | null;
  json: string;
}

/** The rows of a JSON array parameter, in their order (`alias` names each element). */
const elements = (param: string, alias: string) => `jsonb_array_elements(${param}::jsonb) WITH ORDINALITY AS t(${alias}, n)`;

/**
 * The simulated processor's writes of one operation, kept until they are sent together: objects
 * added and changed, events appended, the idempotency key's answer. One statement then writes
 * them all ($1 objects, $2 changes, $3 events as JSON arrays; $4 and $5 the key and its answer).
 */
const FLUSH = `WITH inserted AS (
   INSERT INTO simulated_processor_objects (id, type, lookup_key, data)
   SELECT o->>'id', o->>'type', o->>'lookup_key', o->'data' FROM ${elements('$1', 'o')} ORDER BY n
 ), changed AS (
   UPDATE simulated_processor_objects s SET data = u.o->'data', lookup_key = u.o->>'lookup_key'
   FROM jsonb_array_elements($2::jsonb) AS u(o) WHERE s.id = u.o->>'id'
 ), events AS (
   INSERT INTO simulated_processor_events (id, type, data)
   SELECT e->>'id', e->>'type', e->'data' FROM ${elements('$3', 'e')} ORDER BY n
 ), answered AS (
   UPDATE simulated_processor_idempotency_keys SET response = $5::jsonb WHERE key = $4::text
 )
 SELECT 1`;

/**
 * A write that only adds (an intent's creation), with its key claimed in the same statement: all
 * of it or none (`allowed` is 0 when the key was claimed before). $1 the key (null: none), $2 its
 * fingerprint, $3 its answer, $4 objects and $5 events as JSON arrays. An object with an id already
 * written is the same object (the card an unseen `pm_` id stands for, made by two payments at
 * once, the simulated processor's demo convenience): kept as the first wrote it.
 */
const WRITE_WITH_KEY = `WITH claimed AS (
   INSERT INTO simulated_processor_idempotency_keys (key, fingerprint, response) SELECT $1, $2, $3 WHERE $1::text IS NOT NULL
   ON CONFLICT (key) DO NOTHING RETURNING key
 ), allowed AS (
   SELECT 1 WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM claimed)
 ), objects AS (
   INSERT INTO simulated_processor_objects (id, type, lookup_key, data)
   SELECT o->>'id', o->>'type', o->>'lookup_key', o->'data' FROM ${elements('$4', 'o')}, allowed ORDER BY n
   ON CONFLICT (id) DO NOTHING
 ), events AS (
   INSERT INTO simulated_processor_events (id, type, data)
   SELECT e->>'id', e->>'type', e->'data' FROM ${elements('$5', 'e')}, allowed ORDER BY n
 )
 SELECT count(*)::int AS allowed FROM allowed`;

const objectJson = (o: ObjectWrite) =>
  `{"id":${JSON.stringify(o.id)},"type":${JSON.stringify(o.type)},"lookup_key":${JSON.stringify(o.lookupKey)},"data":${o.json}}`;

/**
 * What a ledger operation has written and not sent yet. Sent in one statement (`flush`) before
 * the operation reads again and when it ends, so within its transaction nothing reads around it;
 * a changed object written in the same batch is written once, as it ends up.
 */
export class PendingLedgerWrites {
  private objects: ObjectWrite[] = [];
  private changes = new Map<string, ObjectWrite>();
  private events: ObjectWrite[] = [];
  private answer: { key: string; json: string } | null = null;

  insert(object: { id: string }, type: string, lookupKey: string | null): void {
    this.objects.push({ id: object.id, type, lookupKey, json: JSON.stringify(object) });
  }

  update(object: { id: string }, lookupKey: string | null): void {
    const json = JSON.stringify(object);
    const added = this.objects.find((o) => o.id === object.id);
    if (added) Object.assign(added, { json, lookupKey });
    else this.changes.set(object.id, { id: object.id, type: '', lookupKey, json });
  }

  event(event: { id: string; type: string }): void {
    this.events.push({ id: event.id, type: event.type, lookupKey: null, json: JSON.stringify(event) });
  }

  /** The idempotency key's answer, written with the rest. */
  respond(key: string, response: unknown): void {
    this.answer = { key, json: JSON.stringify(response) };
  }

  /** Sends what is pending in one statement (nothing when nothing is). */
  async flush(q: Queryable): Promise<void> {
    if (this.objects.length === 0 && this.changes.size === 0 && this.events.length === 0 && this.answer === null) return;
    const params = [this.list(this.objects), this.list([...this.changes.values()]), this.list(this.events), this.answer?.key ?? null, this.answer?.json ?? null];
    this.objects = [];
    this.changes = new Map();
    this.events = [];
    this.answer = null;
    await q.query(FLUSH, params);
  }

  /**
   * Sends the pending objects and events with the key claimed in the same statement (`key` null:
   * none to claim). False when the key was claimed before: nothing is written then.
   */
  async writeWithKey(q: Queryable, key: { key: string; fingerprint: string } | null, response: unknown): Promise<boolean> {
    if (this.changes.size > 0 || this.answer !== null) throw new Error('a write with its key only adds objects and events');
    const { rows } = await q.query<{ allowed: number }>(WRITE_WITH_KEY, [
      key?.key ?? null, key?.fingerprint ?? null, JSON.stringify(response), this.list(this.objects), this.list(this.events),
    ]);
    return rows[0]!.allowed === 1;
  }

  private list(writes: ObjectWrite[]): string {
    return `[${writes.map(objectJson).join(',')}]`;
  }
}
