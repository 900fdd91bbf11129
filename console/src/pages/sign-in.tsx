import { useState } from 'preact/hooks';
import { ApiError, call, keepToken } from '../api.js';

/** The admin bearer token, pasted once and checked against an admin route before it is kept for the tab. */
export function SignInPage({ notice, onSignedIn }: { notice: string | null; onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const pasted = token.trim().replace(/^Bearer\s+/i, '');
    if (!pasted) return setError('Paste an administrator\'s bearer token.');
    setBusy(true);
    setError(null);
    try {
      await call('GET', '/payment/admin/summary', { token: pasted });
      keepToken(pasted);
      onSignedIn();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setError(`Sign-in failed: the service refused this token (${e.message}).`);
      else if (e instanceof ApiError && e.status === 403) setError('Sign-in failed: this token is valid but not an administrator\'s.');
      else setError(`Sign-in failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>Payments console</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <form onSubmit={submit}>
        <label for="token">Administrator bearer token</label>
        <textarea id="token" name="token" rows={4} autocomplete="off" spellcheck={false} value={token} onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)} />
        <p class="hint">Kept for this browser tab only. In development, <code>npm start</code> prints a link that signs in.</p>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
