import { Worker } from 'node:worker_threads';
import type { Config } from './config.js';
import type { RunningService } from './service.js';

/** Time given past the drain and the timeout before the process is killed outright. */
const LAST_RESORT_MARGIN_MS = 5000;

/**
 * Graceful shutdown on SIGTERM and SIGINT: /ready turns 503 at once, the server keeps accepting
 * for SHUTDOWN_DRAIN_MS (so load balancers see it and stop sending), then stops accepting and
 * lets in-flight requests finish for up to SHUTDOWN_TIMEOUT_MS; the reconciler and the relay stop
 * after the row in hand, the database closes, and the process exits 0. A request still running at
 * the timeout is cut off as a crash would cut it (its row stays for the reconciler) and the exit is 1.
 */
export function closeOnSignals(service: RunningService, shutdown: Config['shutdown'], exit: (code: number) => never = process.exit): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    // One shutdown, whoever signals (a terminal's Ctrl-C reaches npm and the server both).
    if (closing) return;
    closing = true;
    const bound = shutdown.drainMs + shutdown.timeoutMs;
    // Armed first. The timer ends a shutdown that hangs; the watchdog thread ends one whose main
    // thread is stuck (a synchronous write to a pipe nobody reads any more blocks it, timers and all).
    setTimeout(() => exit(1), bound + 1000).unref();
    startWatchdog(bound + LAST_RESORT_MARGIN_MS);
    service.readiness.stopping();
    log(service, 'info', { drainMs: shutdown.drainMs, timeoutMs: shutdown.timeoutMs, signal }, 'shutting down');
    drainAndClose(service, shutdown).then(
      (clean) => {
        if (!clean) log(service, 'warn', { timeoutMs: shutdown.timeoutMs }, 'shutdown timed out: requests still running were cut off, the reconciler settles them');
        exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        log(service, 'error', { err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGINT', () => close('SIGINT'));
  process.on('SIGTERM', () => close('SIGTERM'));
}

/** The drain, then the close within the timeout; true when everything finished in time. */
export async function drainAndClose(service: RunningService, shutdown: Config['shutdown']): Promise<boolean> {
  service.readiness.stopping();
  if (shutdown.drainMs > 0) await new Promise((resolve) => setTimeout(resolve, shutdown.drainMs));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), shutdown.timeoutMs);
  });
  // A keep-alive connection whose request finished after the close began would hold the server open
  // until the client hangs up: each one is closed as soon as it is idle.
  const server = service.app.server;
  const closeIdle = setInterval(() => server.closeIdleConnections?.(), 100);
  const clean = await Promise.race([service.close().then(() => true as const), timedOut]);
  clearInterval(closeIdle);
  clearTimeout(timer);
  if (!clean) service.app.server.closeAllConnections();
  return clean;
}

function log(service: RunningService, level: 'info' | 'warn' | 'error', object: Record<string, unknown>, message: string): void {
  try {
    service.app.log[level](object, message);
  } catch {
    // Nowhere to log to any more; shut down all the same.
  }
}

/** A thread of its own that kills the process after `ms`, whatever the main thread is doing. */
function startWatchdog(ms: number): void {
  try {
    const worker = new Worker(
      "const { workerData } = require('node:worker_threads'); setTimeout(() => process.kill(workerData.pid, 'SIGKILL'), workerData.ms);",
      { eval: true, workerData: { pid: process.pid, ms } },
    );
    worker.unref();
  } catch {
    // The timer of the caller still stands.
  }
}
