/** The bench's table, as printed and as written into BENCHMARKS.md between its markers. */
import { readFile, writeFile } from 'node:fs/promises';
import type { LoadResult } from './load.js';
import type { PerRequest } from './round-trips.js';

export interface ScenarioRow {
  database: string;
  name: string;
  ceilingName: string;
  service: LoadResult;
  ceiling: LoadResult;
}

export interface DatabaseReport {
  database: string;
  rows: ScenarioRow[];
  roundTrips: { payment: PerRequest; refund: PerRequest } | null;
  notes: string[];
}

/** The section's markers: one section for the plain run, one for the growth run (--rows). */
const markers = (growth: boolean) => {
  const name = growth ? 'bench-growth' : 'bench';
  return { start: `<!-- ${name}:start (written by npm run bench) -->`, end: `<!-- ${name}:end -->` };
};

const fixed = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).replace(/,/g, ' ');

const micros = (result: LoadResult) => (result.cpuMicros === null ? '—' : fixed(result.cpuMicros));
const databaseMicros = (result: LoadResult) => (result.databaseCpuMicros === null ? '—' : fixed(result.databaseCpuMicros));

export function ratioOf(row: ScenarioRow): number {
  return row.ceiling.requestsPerSecond > 0 ? row.service.requestsPerSecond / row.ceiling.requestsPerSecond : 0;
}

/** The Markdown table of one database's scenarios. */
export function scenarioTable(report: DatabaseReport): string {
  const lines = [
    `| ${report.database}: scenario | service req/s | p50 / p99 ms | errors | CPU µs/req | database CPU µs/req | ceiling | ceiling req/s | p50 / p99 ms | errors | CPU µs/req | database CPU µs/req | ratio |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of report.rows) {
    lines.push(
      `| \`${row.name}\` | ${fixed(row.service.requestsPerSecond)} | ${row.service.p50} / ${row.service.p99} | ${row.service.errors} | ${micros(row.service)} | ${databaseMicros(row.service)} | ` +
        `${row.ceilingName} | ${fixed(row.ceiling.requestsPerSecond)} | ${row.ceiling.p50} / ${row.ceiling.p99} | ${row.ceiling.errors} | ${micros(row.ceiling)} | ${databaseMicros(row.ceiling)} | ${fixed(ratioOf(row), 2)} |`,
    );
  }
  return lines.join('\n');
}

/** Round trips and commits per payment and per refund, and the statements of a payment. */
export function roundTripLines(report: DatabaseReport): string[] {
  const counted = report.roundTrips;
  if (!counted) return [];
  const lines = [
    `${report.database}: per payment ${fixed(counted.payment.roundTrips, 1)} round trips, ${fixed(counted.payment.commits, 1)} commits; ` +
      `per refund ${fixed(counted.refund.roundTrips, 1)} round trips, ${fixed(counted.refund.commits, 1)} commits`,
  ];
  return lines;
}

export function statementLines(perRequest: PerRequest): string[] {
  return perRequest.statements.map(([shape, n]) => `  ${fixed(n, 1).padStart(4)} × ${shape}`);
}

export interface BenchDocument {
  /** A growth run (--rows): written into a section of its own. */
  growth: boolean;
  command: string;
  machine: string;
  reports: DatabaseReport[];
  when: string;
}

/** The section BENCHMARKS.md holds between the markers, replaced by each run that writes it. */
export function benchSection(doc: BenchDocument): string {
  const parts = [
    markers(doc.growth).start,
    doc.growth ? '## The same at a million rows (`npm run bench -- --rows 1e6`)' : '## The service beside its ceiling (`npm run bench`)',
    '',
    '```',
    doc.command,
    '```',
    '',
    `Last written ${doc.when} on ${doc.machine}.`,
    '',
  ];
  for (const report of doc.reports) {
    parts.push(scenarioTable(report), '');
    for (const line of [...roundTripLines(report), ...report.notes]) parts.push(line, '');
    if (report.roundTrips) {
      parts.push('Statements of one payment:', '', '```', ...statementLines(report.roundTrips.payment), '```', '');
    }
  }
  parts.push(markers(doc.growth).end);
  return parts.join('\n');
}

export async function writeBenchSection(file: string, section: string, growth = false): Promise<void> {
  const { start: START, end: END } = markers(growth);
  const current = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start
    ? current.slice(0, start) + section + current.slice(end + END.length)
    : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}
