// @ts-check
// `node scripts/run.mjs <entry> [args...]`: runs dist/<entry> (server.js, cli/token.js, cli/rotate-key.js, migrate.js)
// in this very process, compiling first only when the sources changed since the last build.
//
// One process, not a shell running `npm run build && node dist/server.js`: `npm start` execs this
// script, so the signal a process manager sends to npm's process (npm passes SIGTERM and SIGINT
// on to its child) reaches the server itself, which then shuts down as when signalled directly.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, buildConsole, CONSOLE_DIST, DIST, isBuildFresh, isConsoleFresh, typescriptCompiler, viteCommand } from './build.mjs';

const [entry] = process.argv.splice(2, 1);
if (!entry) {
  process.stderr.write('usage: node scripts/run.mjs <entry in dist/, e.g. server.js> [arguments]\n');
  process.exit(2);
}
const target = path.join(DIST, entry);

if (!isBuildFresh()) {
  if (!typescriptCompiler() && existsSync(target)) {
    process.stderr.write('the sources changed since dist/ was built, but TypeScript is not installed: running dist/ as it is\n');
  } else {
    process.stderr.write('compiling the TypeScript sources (they changed since the last build)...\n');
    try {
      build();
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
      process.exit(1);
    }
  }
}

// The operations console (/payment/console): built likewise only when its sources changed. The
// service runs without it; the page then says how to build it.
if (entry === 'server.js' && !isConsoleFresh()) {
  if (!viteCommand()) {
    const built = existsSync(path.join(CONSOLE_DIST, 'index.html'));
    process.stderr.write(built ? 'the console\'s sources changed, but Vite is not installed: serving console/dist as it is\n' : 'the operations console is not built and Vite is not installed (npm ci installs it): /payment/console is off\n');
  } else {
    process.stderr.write('building the operations console (its sources changed since the last build)...\n');
    try {
      buildConsole();
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
      process.exit(1);
    }
  }
}

// Started by npm: if npm goes without passing a signal on (killed with SIGKILL, or a shell between
// us that died of the signal), stop as if told to, rather than live on unseen, holding the port.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 500).unref();
}

await import(pathToFileURL(target).href);
