// @ts-check
// `npm run build`: compiles src/ into dist/ and records a digest of what it compiled, so that
// `npm start`, `npm run token` and `npm run migrate` (scripts/run.mjs) compile again only when the
// sources changed. Plain JavaScript: it must run before anything is compiled.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = path.join(ROOT, 'dist');
const DIGEST_FILE = '.sources-digest';
/** Everything the compiled output depends on. */
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json'];
/** The operations console's sources (and the money table it shares with the service); built into console/dist. */
export const CONSOLE_DIST = path.join(ROOT, 'console/dist');
const CONSOLE_INPUTS = ['console/src', 'console/index.html', 'console/vite.config.ts', 'console/tsconfig.json', 'src/domain/money.ts', 'src/errors.ts'];

/** A digest of every input's path and content: content, not timestamps, so a checkout or a copied tree is judged right. */
export function sourcesDigest(inputs = INPUTS) {
  const hash = createHash('sha256');
  /** @param {string} relative */
  const visit = (relative) => {
    const absolute = path.join(ROOT, relative);
    if (statSync(absolute).isDirectory()) {
      for (const name of readdirSync(absolute).sort()) visit(path.join(relative, name));
      return;
    }
    hash.update(`${relative}\0`).update(readFileSync(absolute)).update('\0');
  };
  for (const input of inputs) visit(input);
  return hash.digest('hex');
}

/** True when `folder` (default dist/) was built from exactly `digest`. */
export function isBuildFresh(digest = sourcesDigest(), folder = DIST) {
  try {
    return readFileSync(path.join(folder, DIGEST_FILE), 'utf8').trim() === digest;
  } catch {
    return false;
  }
}

/** True when console/dist was built from exactly the console's current sources. */
export function isConsoleFresh() {
  return isBuildFresh(sourcesDigest(CONSOLE_INPUTS), CONSOLE_DIST);
}

/** Vite's command line, or null in an install without development dependencies. */
export function viteCommand() {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin/vite.js');
  } catch {
    return null;
  }
}

/** Builds the console into a folder of its own, then puts it in console/dist's place (as `build` does for dist/). */
export function buildConsole() {
  const vite = viteCommand();
  if (!vite) throw new Error('Vite is not installed (npm ci installs it); cannot build console/');
  const digest = sourcesDigest(CONSOLE_INPUTS);
  const out = path.join(ROOT, `console/dist.building-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  const built = spawnSync(process.execPath, [vite, 'build', '--outDir', out], { cwd: path.join(ROOT, 'console'), stdio: ['ignore', 2, 2] });
  if (built.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error('the console\'s build failed (errors above)');
  }
  writeFileSync(path.join(out, DIGEST_FILE), `${digest}\n`);
  rmSync(CONSOLE_DIST, { recursive: true, force: true });
  try {
    renameSync(out, CONSOLE_DIST);
  } catch (error) {
    rmSync(out, { recursive: true, force: true });
    if (!isConsoleFresh()) throw error;
  }
}

/** The TypeScript compiler, or null in an install without development dependencies. */
export function typescriptCompiler() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

/**
 * Compiles into a folder of its own beside dist/ and then puts it in dist/'s place, so a process
 * starting meanwhile, or a second build running at once, never finds half a build. Compiler output
 * goes to stderr: stdout belongs to the program that runs next (`npm run token` prints the token alone).
 */
export function build() {
  const tsc = typescriptCompiler();
  if (!tsc) throw new Error('TypeScript is not installed (npm ci installs it); cannot compile src/');
  const digest = sourcesDigest();
  const out = path.join(ROOT, `dist.building-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (compiled.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new Error('TypeScript compilation failed (errors above)');
  }
  cpSync(path.join(ROOT, 'src/store/migrations'), path.join(out, 'store/migrations'), { recursive: true });
  writeFileSync(path.join(out, DIGEST_FILE), `${digest}\n`);
  for (let attempt = 0; ; attempt++) {
    rmSync(DIST, { recursive: true, force: true });
    try {
      renameSync(out, DIST);
      return;
    } catch (error) {
      // Another build put its dist/ in place between the two calls; it is as good as ours.
      if (attempt > 0) {
        rmSync(out, { recursive: true, force: true });
        if (isBuildFresh(digest)) return;
        throw error;
      }
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    build();
    buildConsole();
  } catch (error) {
    process.stderr.write(`build: ${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  }
}
