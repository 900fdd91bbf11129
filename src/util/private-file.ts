import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A configuration problem with a private file; the caller turns it into its own error type. */
export class PrivateFileError extends Error {}

/**
 * A random secret kept in `dir/name`, made once (readable by its owner only) and read back on
 * every later start: the development secrets under DATA_DIR. `created` is true on the boot that
 * made it. Two processes starting at once keep one secret (`wx` fails when the file exists).
 */
export async function ensurePrivateSecret(dir: string, name: string, bytes = 32): Promise<{ file: string; secret: string; created: boolean }> {
  const file = path.join(dir, name);
  await mkdir(dir, { recursive: true });
  let created = true;
  try {
    await writeFile(file, `${randomBytes(bytes).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  }
  return { file, secret: await readOwnSecret(file), created };
}

/**
 * Reads a secret only from a regular file of ours that nobody else can read or write: a file
 * planted there (or a link to some public file) would let its author forge what the secret guards.
 */
export async function readOwnSecret(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    throw new PrivateFileError(`${file} cannot be opened as a development secret (${error.code}); delete it and a new one is made at the next start`);
  });
  try {
    const stat = await handle.stat();
    const ours = typeof process.getuid !== 'function' || stat.uid === process.getuid();
    if (!stat.isFile() || !ours || (stat.mode & 0o077) !== 0) {
      throw new PrivateFileError(`${file} is not a private file of this user (mode 0600); delete it and a new one is made at the next start`);
    }
    return (await handle.readFile('utf8')).trim();
  } finally {
    await handle.close();
  }
}
