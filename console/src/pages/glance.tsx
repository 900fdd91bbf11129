import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { data } from '../api.js';
import { ErrorNote, Section, useLoad } from '../components.js';
import { money } from '../format.js';

interface Totals {
  payments: number;
  succeeded: number;
  declined: number;
  success_rate: number | null;
  volume: Array<{ currency: string; amount: number }>;
  refunds: Array<{ currency: string; amount: number; count: number }>;
  decline_codes: Array<{ code: string; count: number }>;
}
interface Summary { today: Totals; last_7_days: Totals; per_day: Array<{ day: string; succeeded: number; declined: number }> }

const rate = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);
const list = (items: Array<{ currency: string; amount: number }>) => (items.length === 0 ? '—' : items.map((v) => money(v.amount, v.currency)).join(' + '));

function Window({ title, totals }: { title: string; totals: Totals }) {
  return (
    <Section title={title}>
      <dl class="tiles">
        <div><dt>Volume charged</dt><dd>{list(totals.volume)}</dd></div>
        <div><dt>Payments</dt><dd>{totals.payments}</dd></div>
        <div><dt>Success rate</dt><dd>{rate(totals.success_rate)}</dd></div>
        <div><dt>Refunded</dt><dd>{list(totals.refunds)}{totals.refunds.length ? ` (${totals.refunds.reduce((n, r) => n + r.count, 0)})` : ''}</dd></div>
      </dl>
      <h3>Decline codes</h3>
      {totals.decline_codes.length === 0 ? <p>No declines.</p> : (
        <ul class="codes">{totals.decline_codes.map((c) => <li><code>{c.code}</code> × {c.count}</li>)}</ul>
      )}
    </Section>
  );
}

function DailyChart({ days }: { days: Summary['per_day'] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const x = days.map((d) => Date.parse(`${d.day}T12:00:00Z`) / 1000);
    const dayLabel = (seconds: number) => new Date(seconds * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const plot = new uPlot(
      {
        width: Math.min(720, box.current.clientWidth || 720),
        height: 220,
        series: [
          { label: 'Day', value: (_u, v) => (v == null ? '—' : dayLabel(v)) },
          { label: 'Succeeded', stroke: '#1a7f37', fill: '#1a7f37', points: { show: false }, paths: uPlot.paths.bars!({ size: [0.35, 40], align: -1 }) },
          { label: 'Declined', stroke: '#b42318', fill: '#b42318', points: { show: false }, paths: uPlot.paths.bars!({ size: [0.35, 40], align: 1 }) },
        ],
        axes: [{ splits: () => x, values: (_u, ticks) => ticks.map(dayLabel) }, { label: 'payments', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }],
        scales: { x: { time: false, range: [x[0]! - 43_200, x[x.length - 1]! + 43_200] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      },
      [x, days.map((d) => d.succeeded), days.map((d) => d.declined)],
      box.current,
    );
    return () => plot.destroy();
  }, [days]);
  return <div ref={box} role="img" aria-label={`Payments per day: ${days.map((d) => `${d.day} ${d.succeeded} succeeded, ${d.declined} declined`).join('; ')}`} />;
}

export function GlancePage() {
  const { value, error } = useLoad(() => data<Summary>('/payment/admin/summary'), []);
  if (error) return <><h1>At a glance</h1><ErrorNote error={error} /></>;
  if (!value) return <p aria-live="polite">Loading…</p>;
  return (
    <>
      <h1>At a glance</h1>
      <div class="columns">
        <Window title="Today (UTC)" totals={value.today} />
        <Window title="Last 7 days" totals={value.last_7_days} />
      </div>
      <Section title="Payments per day">
        <DailyChart days={value.per_day} />
      </Section>
    </>
  );
}
