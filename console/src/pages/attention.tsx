import { useEffect, useState } from 'preact/hooks';
import { data } from '../api.js';
import { CopyId, ErrorNote, Section, Status, useLoad } from '../components.js';
import { money, time } from '../format.js';
import { SettleNow } from './settle.js';

interface Attention {
  items: Array<{ kind: 'payment' | 'refund'; id: string; payment_id: string; payment_intent_id: string | null; status: string; amount: number; currency: string; reason: string; updated_at: string }>;
  dead_notifications: number;
}
interface Authorization { payment_intent_id: string | null; order_id: string; amount: number; currency: string; capture_before: string | null }
interface DeadNotification { id: string; orderId: string; payment_intent_id: string | null; payload: { status: string }; attempts: number; lastError: string | null; created_at: string }

async function loadAll() {
  const [attention, authorizations, dead] = await Promise.all([
    data<Attention>('/payment/admin/attention'),
    data<Authorization[]>('/payment/admin/authorizations?expiring=24h'),
    data<DeadNotification[]>('/payment/admin/outbox?status=dead&limit=100'),
  ]);
  return { attention, authorizations, dead };
}

/** The number in the navigation: everything below, asked again on every page change. */
export function useAttentionCounts(route: string): number | null {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    loadAll().then(({ attention, authorizations }) => setCount(attention.items.length + attention.dead_notifications + authorizations.length), () => setCount(null));
  }, [route]);
  return count;
}

const payLink = (pi: string | null, id: string) => <a href={`#/payment/${pi ?? id}`}>{pi ?? id}</a>;

export function AttentionPage() {
  const { value, error, reload } = useLoad(loadAll, []);
  const [done, setDone] = useState<string | null>(null);
  if (error) return <><h1>Needs attention</h1><ErrorNote error={error} /></>;
  if (!value) return <p aria-live="polite">Loading…</p>;
  const { attention, authorizations, dead } = value;
  return (
    <>
      <h1>Needs attention</h1>
      {done && <p class="notice" role="status">{done}</p>}
      <Section title={`Left for a person by the reconciler (${attention.items.length})`}>
        {attention.items.length === 0 ? <p>Nothing: every payment and refund is settled.</p> : (
          <table>
            <thead><tr><th scope="col">Kind</th><th scope="col">Payment</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Why</th><th scope="col">Untouched since</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
            <tbody>{attention.items.map((i) => (
              <tr><td>{i.kind}</td><td>{payLink(i.payment_intent_id, i.payment_id)}</td><td class="amount">{money(i.amount, i.currency)}</td><td><Status value={i.status} /></td><td>{i.reason}</td><td>{time(i.updated_at)}</td>
                <td><SettleNow row={{ kind: i.kind, id: i.kind === 'payment' ? i.payment_id : i.id, shown: i.kind === 'payment' ? (i.payment_intent_id ?? i.payment_id) : i.id, amount: i.amount, currency: i.currency }} onSettled={(message) => (setDone(message), reload())} /></td></tr>
            ))}</tbody>
          </table>
        )}
      </Section>
      <Section title={`Dead notifications (${attention.dead_notifications})`}>
        {dead.length === 0 ? <p>None.</p> : (
          <table>
            <thead><tr><th scope="col">Entry</th><th scope="col">Payment</th><th scope="col">Order</th><th scope="col">Told</th><th scope="col">Attempts</th><th scope="col">Last error</th></tr></thead>
            <tbody>{dead.map((n) => (
              <tr><td>{n.id}</td><td>{n.payment_intent_id ? payLink(n.payment_intent_id, n.payment_intent_id) : '—'}</td><td><CopyId value={n.orderId} label="order id" /></td><td>{n.payload.status}</td><td>{n.attempts}</td><td>{n.lastError ?? '—'}</td></tr>
            ))}</tbody>
          </table>
        )}
      </Section>
      <Section title={`Authorizations lapsing within 24 hours (${authorizations.length})`}>
        {authorizations.length === 0 ? <p>None.</p> : (
          <table>
            <thead><tr><th scope="col">Payment</th><th scope="col">Order</th><th scope="col">Amount</th><th scope="col">Capture before</th></tr></thead>
            <tbody>{authorizations.map((a) => (
              <tr><td>{a.payment_intent_id ? payLink(a.payment_intent_id, a.payment_intent_id) : '—'}</td><td><CopyId value={a.order_id} label="order id" /></td><td class="amount">{money(a.amount, a.currency)}</td><td>{time(a.capture_before)}</td></tr>
            ))}</tbody>
          </table>
        )}
      </Section>
    </>
  );
}
