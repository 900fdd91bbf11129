import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { ErrorNote } from '../components.js';
import { money } from '../format.js';

/** A payment or refund whose outcome the service does not know, as the console names it. */
export interface Unresolved {
  kind: 'payment' | 'refund';
  /** The id the admin route takes: the payment's (ours or pi_...), the refund's (ours or re_...). */
  id: string;
  /** What the operator reads: the payment intent id when there is one. */
  shown: string;
  amount: number;
  currency: string;
}

/** What both routes answer: the row as recorded after the processor was asked. */
interface Settled { status: string; payment_intent_id?: string | null; refund_id?: string }

const statusText = (status: string) => status.replaceAll('_', ' ');

/**
 * "Settle now": asks the processor what became of a payment or refund the reconciler left, after a
 * confirmation, and tells the outcome. Sending it twice is harmless: the second is refused (409)
 * once the first has settled it, and the processor's keys make a resent operation count once.
 */
export function SettleNow({ row, onSettled }: { row: Unresolved; onSettled: (message: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const name = (shown: string) => `${row.kind} ${shown} (${money(row.amount, row.currency)})`;
  const what = name(row.shown);
  const settle = async () => {
    setSending(true);
    setError(null);
    try {
      const path = row.kind === 'payment' ? 'payments' : 'refunds';
      const { data } = await call<{ data: Settled }>('POST', `/payment/admin/${path}/${encodeURIComponent(row.id)}/reconcile`);
      setConfirming(false);
      // A payment the processor never answered gets its payment intent id now.
      const settled = name((row.kind === 'payment' ? data.payment_intent_id : data.refund_id) ?? row.shown);
      onSettled(data.status === 'unknown' || data.status === 'processing'
        ? `Asked the processor about ${settled}: it is still ${statusText(data.status)}`
        : `Settled ${settled}: the processor has it ${statusText(data.status)}, and so do we`);
    } catch (e) {
      setError(e);
    } finally {
      setSending(false);
    }
  };
  if (!confirming) {
    return <><button type="button" onClick={() => (setConfirming(true), setError(null))} aria-label={`Settle now: ${what}`}>Settle now…</button><ErrorNote error={error} /></>;
  }
  return (
    <div class="confirm" role="alertdialog" aria-label={`Settle ${what}`}>
      <p>Ask the processor what became of {what}, and record its answer?</p>
      <button type="button" class="danger" disabled={sending} onClick={settle}>Confirm: ask the processor</button>
      <button type="button" class="link" onClick={() => setConfirming(false)}>Back</button>
      <ErrorNote error={error} />
    </div>
  );
}
