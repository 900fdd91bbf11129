import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** One data key: 32 bytes for AES-256, named by an id derived from the key itself. */
export interface DataKey {
  id: string;
  key: Buffer;
}

const PREFIX = 'enc:v1';

/** A data key's id: the start of its SHA-256, so keys need no names and an id reveals nothing of its key. */
export function dataKeyId(key: Buffer): string {
  return createHash('sha256').update('payment-service data key\n').update(key).digest('hex').slice(0, 12);
}

/**
 * Reads DATA_ENCRYPTION_KEY: one or more base64 keys of 32 bytes, comma-separated. The first
 * encrypts; every one of them decrypts, so a key is rotated by putting the new one first and
 * keeping the old one until `npm run rotate-key` has re-encrypted what it wrote. Throws a message
 * naming what is wrong (never the key).
 */
export function parseDataKeys(value: string): DataKey[] {
  const keys = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry, index) => {
    const key = Buffer.from(entry, 'base64');
    if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(entry)) {
      throw new Error(`DATA_ENCRYPTION_KEY must be base64 keys of 32 bytes, comma-separated (key ${index + 1} is not; make one with: openssl rand -base64 32)`);
    }
    return { id: dataKeyId(key), key };
  });
  if (keys.length === 0) throw new Error('DATA_ENCRYPTION_KEY holds no key (make one with: openssl rand -base64 32)');
  return keys;
}

/**
 * AES-256-GCM for the personal data and tokens kept at rest. A stored value reads
 * `enc:v1:<key id>:<iv>:<tag>:<ciphertext>` (base64url parts), so each value names the key that
 * wrote it. `context` binds a value to its place (a table and column, a row id): a value copied
 * elsewhere does not decrypt there.
 */
export class DataCipher {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly DataKey[]) {
    if (keys.length === 0) throw new Error('DataCipher needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key that encrypts. */
  get currentKeyId(): string {
    return this.keys[0]!.id;
  }

  /** The ids of every key that decrypts, the current one first. */
  get keyIds(): string[] {
    return this.keys.map((k) => k.id);
  }

  encrypt(plaintext: string, context: string): string {
    const { id, key } = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [PREFIX, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  decrypt(stored: string, context: string): string {
    const parts = stored.split(':');
    if (parts.length !== 6 || `${parts[0]}:${parts[1]}` !== PREFIX) throw new Error('not an encrypted value');
    const [, , id, iv, tag, ciphertext] = parts as [string, string, string, string, string, string];
    const key = this.byId.get(id);
    if (!key) throw new Error(`encrypted with key ${id}, which DATA_ENCRYPTION_KEY no longer holds`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** The key id a stored value was written with, or null when it is not an encrypted value. */
  static keyIdOf(stored: string): string | null {
    const parts = stored.split(':');
    return parts.length === 6 && `${parts[0]}:${parts[1]}` === PREFIX ? parts[2]! : null;
  }
}

/** True for a value this module wrote (and so no clear text). */
export function isEncrypted(value: string): boolean {
  return DataCipher.keyIdOf(value) !== null;
}
