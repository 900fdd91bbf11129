import type { DestinationStream } from 'pino';
import type { Config } from './config.js';

export type LogFormat = 'pretty' | 'json';

/** LOG_FORMAT, or pretty for a person at a terminal outside production and JSON for everything else (files, collectors). */
export function resolveLogFormat(config: Pick<Config, 'logFormat' | 'nodeEnv'>, stdoutIsTTY = process.stdout.isTTY === true): LogFormat {
  if (config.logFormat) return config.logFormat;
  return stdoutIsTTY && config.nodeEnv !== 'production' ? 'pretty' : 'json';
}

/**
 * Where the process entry's log lines go: null for pino's own JSON on stdout, or pino-pretty's
 * stream. pino-pretty is a development dependency, absent from a production install
 * (`npm ci --omit=dev`): then the lines stay JSON and one line on stderr says why.
 */
export async function logDestination(config: Pick<Config, 'logFormat' | 'nodeEnv'>): Promise<DestinationStream | null> {
  if (resolveLogFormat(config) !== 'pretty') return null;
  let pretty: typeof import('pino-pretty').build;
  try {
    pretty = (await import('pino-pretty')).build;
  } catch {
    process.stderr.write('LOG_FORMAT=pretty needs pino-pretty (a development dependency, not installed here): logging JSON instead\n');
    return null;
  }
  return pretty({
    // Written in this thread and at once, so nothing is lost when the process exits right after a line.
    sync: true,
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The request line already says method, path, status and time; the rest is noise at a terminal.
    ignore: 'pid,hostname,req,res,responseTime',
  });
}
