/** One scenario's load: autocannon with a warm-up, then the measured run, both with the same connections. */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
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
  const result = await once(options, request, options.durationSeconds);
  return {
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
