/** One scenario's load: autocannon with a warm-up, then the measured run, both with the same connections. */
import { readdir, readFile } from 'node:fs/promises';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  /** The server's process, whose CPU time per request is measured (Linux /proc); none: not measured. */
  pid?: number | undefined;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

/** What a scenario sends: a fixed request, or one made per request (a new order, a new key). */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Called per request: the path and body (JSON) and extra headers of this one. */
  vary?: () => { path?: string; body?: unknown; headers?: Record<string, string> };
  /** Told of each answer (status and body), e.g. to collect the ids the service made. */
  onResponse?: (status: number, body: string) => void;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Non-2xx answers, socket errors and timeouts. */
  errors: number;
  /** What the errors were: answers by status, socket errors, timeouts (empty without errors). */
  errorDetail: string;
  requests: number;
  /** The server process's CPU time per answered request, in microseconds (null: not measured). */
  cpuMicros: number | null;
  /**
   * The local PostgreSQL server's CPU time per answered request (all its processes), in
   * microseconds: where the rest of the machine goes. Null without a local server (PGlite runs
   * inside the service's process, and is in its CPU time).
   */
  databaseCpuMicros: number | null;
}

async function once(options: LoadOptions, request: LoadRequest, seconds: number): Promise<autocannon.Result> {
  const headers = { ...request.headers, ...(request.method === 'POST' ? { 'content-type': 'application/json' } : {}) };
  return autocannon({
    url: options.url,
    connections: options.connections,
    duration: seconds,
    requests: [
      {
        method: request.method,
        path: request.path,
        headers,
        ...(request.vary
          ? {
              setupRequest: (req: autocannon.Request) => {
                const varied = request.vary!();
                return {
                  ...req,
                  ...(varied.path ? { path: varied.path } : {}),
                  ...(varied.body !== undefined ? { body: JSON.stringify(varied.body) } : {}),
                  headers: { ...headers, ...varied.headers },
                };
              },
            }
          : {}),
        ...(request.onResponse ? { onResponse: (status: number, body: string) => request.onResponse!(status, body) } : {}),
      },
    ],
  });
}

/** Warms up (not counted), then measures for `durationSeconds`. */
export async function runLoad(options: LoadOptions, request: LoadRequest): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await once(options, request, options.warmupSeconds);
  const [cpuBefore, databaseBefore] = [await cpuTicks(options.pid), await postgresTicks()];
  const result = await once(options, request, options.durationSeconds);
  const [cpuAfter, databaseAfter] = [await cpuTicks(options.pid), await postgresTicks()];
  const perRequest = (before: number | null, after: number | null) =>
    before !== null && after !== null && result.requests.total > 0 ? ((after - before) * 10_000) / result.requests.total : null;
  return {
    cpuMicros: perRequest(cpuBefore, cpuAfter),
    // A server process that ended during the run (a connection closed) takes its ticks with it: no reading then.
    databaseCpuMicros: options.pid === undefined || databaseBefore === 0 || databaseAfter < databaseBefore ? null : perRequest(databaseBefore, databaseAfter),
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    // autocannon's errors include its timeouts.
    errors: result.non2xx + result.errors,
    errorDetail: errorDetailOf(result),
    requests: result.requests.total,
  };
}

function errorDetailOf(result: autocannon.Result): string {
  const statuses = Object.entries((result as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {})
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `${count} × ${code}`);
  if (result.errors > result.timeouts) statuses.push(`${result.errors - result.timeouts} socket errors`);
  if (result.timeouts > 0) statuses.push(`${result.timeouts} timeouts`);
  return statuses.join(', ');
}

/** User + system CPU time of a process in clock ticks (1/100 s on Linux), or null where /proc is not there. */
async function cpuTicks(pid: number | string | undefined, command?: string): Promise<number | null> {
  if (pid === undefined) return null;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  if (command !== undefined && !stat.includes(`(${command})`)) return null;
  // The fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The CPU ticks of every `postgres` process on this machine (0 when there is none, or no /proc). */
async function postgresTicks(): Promise<number> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  let total = 0;
  for (const pid of pids) total += (await cpuTicks(pid, 'postgres')) ?? 0;
  return total;
}
