import { formatAmount } from '../domain/money.js';
import type { Challenge, FinishedChallenge } from '../processors/simulated/authentication-page.js';

// The simulated 3-D Secure page, as plain server-rendered HTML: no script, so it works in any
// browser and under the strictest content security policy, and a form a script can post too.

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #1a1a2e; }
  .note { background: #fff7e0; border: 1px solid #f0d890; padding: .5rem .75rem; border-radius: 6px; font-size: .9rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
  dt { color: #666; } dd { margin: 0; font-family: ui-monospace, monospace; }
  button { font-size: 1rem; padding: .6rem 1.4rem; margin-right: .5rem; border-radius: 6px; border: 1px solid #888; cursor: pointer; }
  button[value=complete] { background: #1f7a4d; color: #fff; border-color: #1f7a4d; }
  button[value=fail] { background: #fff; color: #a1262b; border-color: #a1262b; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="note">Simulated payment processor: no bank is asked. This page stands in for the customer's bank, as Stripe's test page does.</p>
${body}
</main>
</body>
</html>
`;
}

function details(challenge: Challenge): string {
  return `<dl>
  <dt>Payment</dt><dd>${escapeHtml(challenge.paymentIntentId)}</dd>
  <dt>Amount</dt><dd>${escapeHtml(formatAmount(challenge.amount, challenge.currency))}</dd>
  <dt>Status</dt><dd>${escapeHtml(challenge.status)}</dd>
</dl>`;
}

/** The challenge: Complete and Fail post back to `action` (the page's own URL, with its challenge value). */
export function challengePage(challenge: Challenge, action: string): string {
  if (challenge.status !== 'requires_action') {
    return page('3-D Secure authentication', `${details(challenge)}\n<p>This payment requires no authentication any more.</p>`);
  }
  return page(
    '3-D Secure authentication',
    `${details(challenge)}
<form method="post" action="${escapeHtml(action)}">
  <button type="submit" name="outcome" value="complete">Complete</button>
  <button type="submit" name="outcome" value="fail">Fail</button>
</form>`,
  );
}

/** After the answer, when there is no return URL to send the customer back to. */
export function finishedPage(result: FinishedChallenge): string {
  const said = result.finished
    ? `Authentication ${result.passed ? 'completed' : 'failed'}.`
    : 'This authentication had already been finished; nothing was changed.';
  return page('3-D Secure authentication', `${details(result)}\n<p>${said} You can close this window.</p>`);
}
