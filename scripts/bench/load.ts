/** One scenario's load: autocannon with a warm-up, then the measured run, both with the same connections. */
import { readdir, readFile } from 'node:fs/promises';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  /** The server's process, whose CPU time per request is measured (Linux /proc); none: not measured. */
  pid?: number | undefined;
  /** The server uses the local PostgreSQL server, whose processes' CPU time is measured too. */
  localDatabase?: boolean;
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
  const cpuBefore = await cpuTicks(options.pid);
  const database = options.localDatabase ? await PostgresCpu.start() : null;
  const result = await once(options, request, options.durationSeconds);
  const cpuAfter = await cpuTicks(options.pid);
  const databaseTicks = database ? await database.stop() : null;
  const perRequest = (ticks: number | null) => (ticks !== null && result.requests.total > 0 ? (ticks * 10_000) / result.requests.total : null);
  return {
    cpuMicros: perRequest(cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null),
    databaseCpuMicros: perRequest(databaseTicks),
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

/** The CPU ticks of each `postgres` process on this machine, by pid. */
async function postgresTicks(): Promise<Map<string, number>> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  const ticks = new Map<string, number>();
  for (const pid of pids) {
    const t = await cpuTicks(pid, 'postgres');
    if (t !== null) ticks.set(pid, t);
  }
  return ticks;
}

/**
 * The local PostgreSQL server's CPU over a run, sampled every half second: a backend that ends
 * during the run (the pool closing an idle connection) takes its ticks with it, so each process
 * counts what it used between its first and its last sample.
 */
class PostgresCpu {
  private readonly first = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> = Promise.resolve();

  static async start(): Promise<PostgresCpu | null> {
    const cpu = new PostgresCpu();
    await cpu.sample(true);
    if (cpu.first.size === 0) return null;
    cpu.timer = setInterval(() => void (cpu.sampling = cpu.sample(false)), 500);
    return cpu;
  }

  private async sample(initial: boolean): Promise<void> {
    for (const [pid, ticks] of await postgresTicks()) {
      // A process born during the run counts from zero.
      if (!this.first.has(pid)) this.first.set(pid, initial ? ticks : 0);
      this.last.set(pid, ticks);
    }
  }

  async stop(): Promise<number> {
    if (this.timer) clearInterval(this.timer);
    await this.sampling;
    await this.sample(false);
    let total = 0;
    for (const [pid, ticks] of this.last) total += ticks - (this.first.get(pid) ?? 0);
    return total;
  }
}
