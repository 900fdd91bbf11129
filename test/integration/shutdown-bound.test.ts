import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const STUCK = fileURLToPath(new URL('../fixtures/stuck-shutdown.ts', import.meta.url));

describe('the shutdown ends the process in every case', () => {
  it('even when the main thread is blocked mid-shutdown, past its own timers', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', STUCK], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const signalled = Date.now();
    child.kill('SIGTERM');
    const [, signal] = await exited;
    const took = Date.now() - signalled;
    // Drain 0 + timeout 1 s, then the watchdog thread's margin of 5 s: killed, since nothing else could end it.
    assert.equal(signal, 'SIGKILL');
    assert.ok(took >= 1000 && took < 9000, `ended after ${took} ms`);
  });
});
