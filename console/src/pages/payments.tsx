import { useState } from 'preact/hooks';
import { get, type Payment } from '../api.js';
import { CopyId, ErrorNote, Status, useLoad } from '../components.js';
import { money, time, ZONE } from '../format.js';

const STATUSES = ['', 'succeeded', 'requires_capture', 'requires_action', 'requires_payment_method', 'processing', 'unknown', 'canceled'];
const FIELDS = ['status', 'orderId', 'email', 'from', 'to'] as const;
type Field = (typeof FIELDS)[number];

interface Page {
  data: Payment[];
  has_more: boolean;
  next_cursor: string | null;
}

/** The filters live in the address (#/payments?orderId=...), so a filtered list can be shared and reloaded. */
export function PaymentsPage({ query }: { query: URLSearchParams }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const api = new URLSearchParams();
  for (const field of FIELDS) {
    const value = query.get(field);
    if (!value) continue;
    // Dates are typed in the browser's zone and sent as instants.
    api.set(field, field === 'from' || field === 'to' ? new Date(value).toISOString() : value);
  }
  const cursor = cursors[cursors.length - 1];
  if (cursor) api.set('cursor', cursor);
  const { value: page, error } = useLoad(() => get<Page>(`/payment/admin/payments?${api}`), [api.toString()]);

  const apply = (next: URLSearchParams) => {
    setCursors([]);
    location.hash = `/payments?${next}`;
  };

  return (
    <>
      <h1>Payments</h1>
      <Filters key={query.toString()} query={query} onApply={apply} />
      <ErrorNote error={error} />
      {page && (
        <>
          <table>
            <caption class="visually-hidden">Payments, newest first</caption>
            <thead>
              <tr><th scope="col">Created</th><th scope="col">Payment</th><th scope="col">Order</th><th scope="col">Customer</th><th scope="col">Amount</th><th scope="col">Status</th></tr>
            </thead>
            <tbody>
              {page.data.map((p) => (
                <tr>
                  <td>{time(p.created_at)}</td>
                  <td><a href={`#/payment/${p.payment_intent_id ?? p.id}`}>{p.payment_intent_id ?? p.id}</a></td>
                  <td><CopyId value={p.order_id} label="order id" /></td>
                  <td>{p.customer_email ?? '—'}</td>
                  <td class="amount">{money(p.amount, p.currency)}</td>
                  <td><Status value={p.status} />{p.last_payment_error?.decline_code ? ` · ${p.last_payment_error.decline_code}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.length === 0 && <p>No payments match.</p>}
          <div class="pager">
            <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</button>
            <button type="button" disabled={!page.has_more} onClick={() => page.next_cursor && setCursors([...cursors, page.next_cursor])}>Older</button>
          </div>
        </>
      )}
    </>
  );
}

/**
 * The filter form keeps what the operator types in its own state, so a list that finishes loading
 * (or any other re-render) never puts the address's old values back over it; a new address remounts it.
 */
function Filters({ query, onApply }: { query: URLSearchParams; onApply: (next: URLSearchParams) => void }) {
  const [typed, setTyped] = useState(() => Object.fromEntries(FIELDS.map((field) => [field, query.get(field) ?? ''])) as Record<Field, string>);
  const bind = (field: Field) => ({
    name: field,
    value: typed[field],
    onInput: (event: Event) => setTyped({ ...typed, [field]: (event.target as HTMLInputElement | HTMLSelectElement).value }),
  });
  const submit = (event: Event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const field of FIELDS) {
      const value = typed[field].trim();
      if (value) next.set(field, value);
    }
    onApply(next);
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Filters">
      <label>Status
        <select {...bind('status')}>
          {STATUSES.map((s) => <option value={s}>{s ? s.replaceAll('_', ' ') : 'any'}</option>)}
        </select>
      </label>
      <label>Order id<input {...bind('orderId')} /></label>
      <label>Customer email<input type="email" {...bind('email')} /></label>
      <label>From ({ZONE})<input type="datetime-local" {...bind('from')} /></label>
      <label>To<input type="datetime-local" {...bind('to')} /></label>
      <button type="submit">Search</button>
    </form>
  );
}
