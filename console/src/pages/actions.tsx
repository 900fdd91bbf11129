import { useState } from 'preact/hooks';
import { ApiError, call, newIdempotencyKey, type Dossier } from '../api.js';
import { money, majorText, minorFromInput } from '../format.js';

type Kind = 'refund' | 'capture' | 'cancel';

interface Draft {
  kind: Kind;
  amount: number | null;
  reason: string;
  /** Made when the operator reaches the confirmation: every send of this confirmation carries it. */
  key: string;
}

const REASONS = [['requested_by_customer', 'Requested by the customer'], ['duplicate', 'Duplicate'], ['fraudulent', 'Fraudulent']] as const;

/** Refund, capture and cancel, each stated again with its amount before it is sent. */
export function PaymentActions({ dossier, onDone }: { dossier: Dossier; onDone: (message: string) => void }) {
  const p = dossier.payment;
  const remaining = p.amount_received - p.amount_refunded;
  const canRefund = remaining > 0 && p.payment_intent_id !== null;
  const canCapture = p.status === 'requires_capture';
  const canCancel = ['requires_capture', 'requires_action', 'requires_payment_method'].includes(p.status) && p.payment_intent_id !== null;
  const [open, setOpen] = useState<Kind | null>(null);
  const [amountText, setAmountText] = useState('');
  const [reason, setReason] = useState<string>('requested_by_customer');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);

  const start = (kind: Kind) => {
    setOpen(kind);
    setDraft(null);
    setError(null);
    setAmountText(kind === 'refund' ? majorText(remaining, p.currency) : kind === 'capture' ? majorText(p.amount_capturable, p.currency) : '');
  };
  const review = (event: Event) => {
    event.preventDefault();
    if (!open) return;
    const amount = open === 'cancel' ? null : minorFromInput(amountText, p.currency);
    if (open !== 'cancel' && amount === null) return setError(`Type an amount in ${p.currency.toUpperCase()}, like ${majorText(remaining || p.amount, p.currency)}`);
    const limit = open === 'refund' ? remaining : p.amount_capturable;
    if (amount !== null && amount > limit) return setError(`At most ${money(limit, p.currency)}`);
    setError(null);
    setDraft({ kind: open, amount, reason, key: newIdempotencyKey() });
  };
  const confirm = async () => {
    if (!draft) return;
    setSending(true);
    try {
      const pi = p.payment_intent_id!;
      if (draft.kind === 'refund') {
        const full = draft.amount === remaining;
        await call('POST', '/payment/refund', { idempotencyKey: draft.key, body: { paymentIntentId: pi, ...(full ? {} : { amount: draft.amount }), reason: draft.reason } });
      } else if (draft.kind === 'capture') {
        await call('POST', `/payment/payment-intent/${pi}/capture`, { idempotencyKey: draft.key, body: draft.amount === p.amount_capturable ? {} : { amount: draft.amount } });
      } else {
        await call('POST', `/payment/payment-intent/${pi}/cancel`, { idempotencyKey: draft.key, body: {} });
      }
      setOpen(null);
      setDraft(null);
      onDone(`${statement(draft)}: done`);
    } catch (e) {
      // The same confirmation sent again while the first is answered: the first's outcome is what counts.
      if (!(e instanceof ApiError && e.status === 409 && /idempotency/.test(e.code))) setError(e);
    } finally {
      setSending(false);
    }
  };
  const statement = (d: Draft) =>
    d.kind === 'cancel' ? `Cancel payment ${p.payment_intent_id} (${money(p.amount, p.currency)} not charged)` : `${d.kind === 'refund' ? 'Refund' : 'Capture'} ${money(d.amount!, p.currency)} of payment ${p.payment_intent_id}`;

  return (
    <div class="actions">
      <div class="buttons">
        <button type="button" disabled={!canRefund} onClick={() => start('refund')}>Refund…</button>
        <button type="button" disabled={!canCapture} onClick={() => start('capture')}>Capture…</button>
        <button type="button" disabled={!canCancel} onClick={() => start('cancel')}>Cancel payment…</button>
      </div>
      {open && !draft && (
        <form onSubmit={review} aria-label={`${open} form`} class="action-form">
          {open !== 'cancel' && (
            <label>Amount ({p.currency.toUpperCase()})
              <input name="amount" inputMode="decimal" value={amountText} onInput={(e) => setAmountText((e.target as HTMLInputElement).value)} />
            </label>
          )}
          {open === 'refund' && (
            <label>Reason
              <select name="reason" value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
                {REASONS.map(([value, label]) => <option value={value}>{label}</option>)}
              </select>
            </label>
          )}
          <button type="submit">Review</button>
          <button type="button" class="link" onClick={() => setOpen(null)}>Close</button>
        </form>
      )}
      {draft && (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
          <p id="confirm-text"><strong>{statement(draft)}?</strong>{draft.kind === 'refund' ? ` Reason: ${draft.reason.replaceAll('_', ' ')}.` : ''}</p>
          <button type="button" class="danger" disabled={sending} onClick={confirm}>Confirm {draft.kind}</button>
          <button type="button" class="link" onClick={() => setDraft(null)}>Back</button>
        </div>
      )}
      {error ? <p class="error" role="alert">{error instanceof ApiError ? `${error.message} (${error.code})` : String(error)}</p> : null}
    </div>
  );
}
