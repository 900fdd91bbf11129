import { useState } from 'preact/hooks';
import { call, data, newIdempotencyKey, type Dossier } from '../api.js';
import { CopyId, ErrorNote, Section, Status, useLoad } from '../components.js';
import { money, time } from '../format.js';
import { PaymentActions } from './actions.js';
import { SettleNow } from './settle.js';

const UNRESOLVED = ['unknown', 'processing'];

interface ProcessorView {
  processor: string;
  status: string;
  amount: number;
  currency: string;
  amount_received: number;
  amount_capturable: number;
  last_payment_error: { code: string; decline_code: string | null } | null;
}

/** One payment: what it is, what happened to it, what was told, and what can be done. */
export function PaymentPage({ id }: { id: string }) {
  const { value: dossier, error, reload } = useLoad(() => data<Dossier>(`/payment/admin/payments/${encodeURIComponent(id)}`), [id]);
  const [done, setDone] = useState<string | null>(null);
  if (error) return <><h1>Payment</h1><ErrorNote error={error} /></>;
  if (!dossier) return <p aria-live="polite">Loading…</p>;
  const p = dossier.payment;
  const remaining = p.amount_received - p.amount_refunded;
  const decline = p.last_payment_error;
  return (
    <>
      <h1>Payment <CopyId value={p.payment_intent_id ?? p.id} label="payment id" /></h1>
      <p><Status value={p.status} /> · created {time(p.created_at)} · updated {time(p.updated_at)}</p>
      {done && <p class="notice" role="status">{done}</p>}
      {decline && (
        <p class="decline" role="note">
          Declined: <strong>{decline.decline_code ?? decline.code}</strong>{decline.message ? ` — ${decline.message}` : ''}
        </p>
      )}
      <dl class="amounts" aria-label="Amounts">
        <div><dt>Amount</dt><dd>{money(p.amount, p.currency)}</dd></div>
        <div><dt>Charged</dt><dd>{money(p.amount_received, p.currency)}</dd></div>
        <div><dt>Authorized, not captured</dt><dd>{money(p.amount_capturable, p.currency)}</dd></div>
        <div><dt>Refunded</dt><dd>{money(p.amount_refunded, p.currency)}</dd></div>
        <div><dt>Remaining</dt><dd data-testid="remaining">{money(remaining, p.currency)}</dd></div>
      </dl>
      {UNRESOLVED.includes(p.status) && (
        <p class="unresolved">Its outcome is not known yet. <SettleNow row={{ kind: 'payment', id: p.id, shown: p.payment_intent_id ?? p.id, amount: p.amount, currency: p.currency }} onSettled={(message) => (setDone(message), reload())} /></p>
      )}
      <PaymentActions dossier={dossier} onDone={(message) => (setDone(message), reload())} />
      <div class="columns">
        <Section title="Customer and card">
          <dl>
            <dt>Customer</dt><dd>{dossier.customer ? <>{dossier.customer.email} {dossier.customer.name ? `(${dossier.customer.name})` : ''}</> : '—'}</dd>
            <dt>Customer id</dt><dd><CopyId value={p.customer_id} label="customer id" /></dd>
            <dt>Card</dt><dd>{dossier.card ? `${dossier.card.brand} •••• ${dossier.card.last4}` : p.payment_method_id ? 'deleted card' : 'confirmed in the browser'}</dd>
            <dt>Order</dt><dd><CopyId value={p.order_id} label="order id" /></dd>
            <dt>Capture</dt><dd>{p.capture_method}{p.capture_before ? `, before ${time(p.capture_before)}` : ''}</dd>
          </dl>
        </Section>
        <ProcessorPanel id={p.payment_intent_id} ours={p} />
      </div>
      {(p.quote || p.delivery) && (
        <Section title="Quote and delivery">
          {p.quote && <p>Quote <CopyId value={p.quote.quote_id} label="quote id" />: {Object.entries(p.quote.breakdown).map(([k, v]) => `${k} ${typeof v === 'number' && ['cost', 'tax', 'total', 'riderCommission'].includes(k) ? money(v, p.currency) : String(v)}`).join(' · ')}</p>}
          {p.delivery && <p>{p.delivery.expected ? 'Captured on delivery' : 'Not captured on delivery'}; delivered {time(p.delivery.delivered_at)}{p.delivery.delivered_by ? ` (event ${p.delivery.delivered_by.event_id}, ${p.delivery.delivered_by.source})` : ''}</p>}
        </Section>
      )}
      <Section title="Timeline">
        <ol class="timeline">
          {dossier.timeline.map((e) => <li><time dateTime={e.at}>{time(e.at)}</time> {e.from_status ? `${e.from_status.replaceAll('_', ' ')} → ` : ''}<strong>{e.to_status.replaceAll('_', ' ')}</strong> <span class="source">by {e.source}</span></li>)}
          {dossier.refunds.map((r) => <li><time dateTime={r.created_at}>{time(r.created_at)}</time> refund of <strong>{money(r.amount, r.currency)}</strong> {r.status} <span class="source">{r.reason ?? ''}</span></li>)}
        </ol>
      </Section>
      <Section title="Refunds">
        {dossier.refunds.length === 0 ? <p>None.</p> : (
          <table>
            <thead><tr><th scope="col">Refund</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Created</th></tr></thead>
            <tbody>{dossier.refunds.map((r) => <tr><td><CopyId value={r.refund_id} label="refund id" /></td><td class="amount">{money(r.amount, r.currency)}</td><td><Status value={r.status} />{r.failure_reason ? ` · ${r.failure_reason}` : ''}{r.status === 'unknown' && <SettleNow row={{ kind: 'refund', id: r.refund_id, shown: r.refund_id, amount: r.amount, currency: r.currency }} onSettled={(message) => (setDone(message), reload())} />}</td><td>{r.reason ?? '—'}</td><td>{time(r.created_at)}</td></tr>)}</tbody>
          </table>
        )}
      </Section>
      <Notifications dossier={dossier} onRetried={() => (setDone('Notification sent again'), reload())} />
    </>
  );
}

function Notifications({ dossier, onRetried }: { dossier: Dossier; onRetried: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<{ id: string; key: string } | null>(null);
  const retry = async () => {
    if (!confirming) return;
    try {
      await call('POST', `/payment/admin/outbox/${confirming.id}/retry`, { idempotencyKey: confirming.key });
      setConfirming(null);
      onRetried();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Section title="Notifications to the Order Service">
      {dossier.notifications.length === 0 ? <p>None.</p> : (
        <table>
          <thead><tr><th scope="col">Event</th><th scope="col">Told</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
          <tbody>{dossier.notifications.map((n) => (
            <tr>
              <td>{n.event}</td><td>{n.payload.status}</td><td><Status value={n.status} /></td><td>{n.attempts}</td><td>{n.lastError ?? '—'}</td>
              <td>{n.status === 'dead' && (confirming?.id === n.id
                ? <><button type="button" class="danger" onClick={retry}>Confirm: send “{n.payload.status}” again</button><button type="button" class="link" onClick={() => setConfirming(null)}>Back</button></>
                : <button type="button" onClick={() => setConfirming({ id: n.id, key: newIdempotencyKey() })}>Retry…</button>)}</td>
            </tr>
          ))}</tbody>
        </table>
      )}
      <ErrorNote error={error} />
    </Section>
  );
}

function ProcessorPanel({ id, ours }: { id: string | null; ours: Dossier['payment'] }) {
  const [view, setView] = useState<ProcessorView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ask = () => data<ProcessorView>(`/payment/admin/payments/${id}/processor`).then(setView, setError);
  const row = (label: string, mine: string, theirs: string) => (
    <tr class={mine === theirs ? '' : 'differs'}><th scope="row">{label}</th><td>{mine}</td><td>{theirs}{mine === theirs ? '' : ' (differs)'}</td></tr>
  );
  return (
    <Section title="The processor's view">
      {!view && <button type="button" disabled={!id} onClick={ask}>Ask the processor</button>}
      {view && (
        <table>
          <thead><tr><th scope="col"><span class="visually-hidden">Field</span></th><th scope="col">Ours</th><th scope="col">{view.processor}</th></tr></thead>
          <tbody>
            {row('Status', ours.status, view.status)}
            {row('Charged', money(ours.amount_received, ours.currency), money(view.amount_received, view.currency))}
            {row('Capturable', money(ours.amount_capturable, ours.currency), money(view.amount_capturable, view.currency))}
            {row('Decline', ours.last_payment_error?.decline_code ?? '—', view.last_payment_error?.decline_code ?? '—')}
          </tbody>
        </table>
      )}
      <ErrorNote error={error} />
    </Section>
  );
}
