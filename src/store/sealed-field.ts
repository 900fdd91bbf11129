import { createHmac, randomBytes } from 'node:crypto';
import { DataCipher, isEncrypted } from '../crypto/data-cipher.js';
import type { Queryable } from './database.js';

/** A sealed value that does not open: its key is gone, or it was altered or moved. Never answered as data. */
export class SealedValueError extends Error {
  constructor(readonly where: string, cause: unknown) {
    super(`${where} cannot be opened: ${(cause as Error).message ?? cause}`);
    this.name = 'SealedValueError';
  }
}

/** The place a value is sealed for: a value copied to another column or row does not open there. */
export function sealedContext(table: string, column: string, rowId: string): string {
  return `${table}.${column}:${rowId}`;
}

const EMAIL_LOOKUP_KEY = 'email_lookup';

/**
 * Seals the personal data a repository writes (AES-256-GCM under DATA_ENCRYPTION_KEY, bound to its
 * table, column and row) and opens it on read, so the use cases only ever see clear values; and
 * hashes emails for lookups with a key of the database's own (kept sealed in `sealed_keys`, made
 * once), which a data-key rotation re-seals but never changes.
 */
export class SealedFields {
  private lookupKey: Promise<Buffer> | null = null;

  constructor(
    private readonly db: Queryable,
    readonly cipher: DataCipher,
  ) {}

  seal(table: string, column: string, rowId: string, value: string): string {
    return this.cipher.encrypt(value, sealedContext(table, column, rowId));
  }

  sealNullable(table: string, column: string, rowId: string, value: string | null): string | null {
    return value === null ? null : this.seal(table, column, rowId, value);
  }

  /**
   * The clear value of a stored one. A clear value (a row from before sealing, which the boot
   * seals) is answered as it is; a sealed one that does not open throws, naming where it is.
   */
  open(table: string, column: string, rowId: string, stored: string): string {
    if (!isEncrypted(stored)) return stored;
    try {
      return this.cipher.decrypt(stored, sealedContext(table, column, rowId));
    } catch (error) {
      throw new SealedValueError(`${table}.${column} of row ${rowId}`, error);
    }
  }

  openNullable(table: string, column: string, rowId: string, stored: string | null): string | null {
    return stored === null ? null : this.open(table, column, rowId, stored);
  }

  /**
   * HMAC-SHA256 (hex) of a normalised email under the lookup key: equal emails, equal hashes,
   * whatever the data key. Null before the database has a lookup key, when no customer can match:
   * a lookup writes nothing.
   */
  async emailHash(emailNormalized: string, options: { create: boolean }): Promise<string | null> {
    const key = options.create ? await this.emailLookupKey() : await this.existingLookupKey();
    return key && createHmac('sha256', key).update(emailNormalized, 'utf8').digest('hex');
  }

  /** The email lookup key: made and sealed by the first instance that needs it (the boot, or the first customer), read by every later one. */
  emailLookupKey(): Promise<Buffer> {
    this.lookupKey ??= this.loadLookupKey().catch((error: unknown) => {
      this.lookupKey = null;
      throw error;
    });
    return this.lookupKey;
  }

  private async existingLookupKey(): Promise<Buffer | null> {
    if (this.lookupKey) return this.lookupKey;
    const { rows } = await this.db.query('SELECT 1 FROM sealed_keys WHERE name = $1', [EMAIL_LOOKUP_KEY]);
    return rows.length > 0 ? this.emailLookupKey() : null;
  }

  private async loadLookupKey(): Promise<Buffer> {
    const made = this.seal('sealed_keys', 'sealed', EMAIL_LOOKUP_KEY, randomBytes(32).toString('base64'));
    // Two instances starting at once: the first insert wins and both read it back.
    await this.db.query('INSERT INTO sealed_keys (name, sealed) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [EMAIL_LOOKUP_KEY, made]);
    const { rows } = await this.db.query<{ sealed: string }>('SELECT sealed FROM sealed_keys WHERE name = $1', [EMAIL_LOOKUP_KEY]);
    const stored = rows[0]!.sealed;
    try {
      return Buffer.from(this.cipher.decrypt(stored, sealedContext('sealed_keys', 'sealed', EMAIL_LOOKUP_KEY)), 'base64');
    } catch (error) {
      throw new SealedValueError(
        `the database's email lookup key (sealed with data key ${DataCipher.keyIdOf(stored)}; DATA_ENCRYPTION_KEY holds ${this.cipher.keyIds.join(', ')})`,
        error,
      );
    }
  }
}
