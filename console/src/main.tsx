import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { forgetToken, keepToken, storedToken, whenUnauthorized } from './api.js';
import { ZONE } from './format.js';
import { AttentionPage, useAttentionCounts } from './pages/attention.js';
import { GlancePage } from './pages/glance.js';
import { PaymentPage } from './pages/payment.js';
import { PaymentsPage } from './pages/payments.js';
import { SignInPage } from './pages/sign-in.js';
import './styles.css';

// `npm start` in development prints a link ending in #token=...: a fragment never reaches a server
// log. It is kept for this tab and taken off the address at once.
const fragment = /^#token=([A-Za-z0-9._~+/-]+=*)$/.exec(location.hash);
if (fragment?.[1]) {
  keepToken(fragment[1]);
  history.replaceState(null, '', `${location.pathname}#/glance`);
}

function useRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || '/glance');
  useEffect(() => {
    const changed = () => setRoute(location.hash.slice(1) || '/glance');
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function Page({ route }: { route: string }) {
  const [path = '', query = ''] = route.split('?');
  if (path.startsWith('/payment/')) return <PaymentPage id={decodeURIComponent(path.slice('/payment/'.length))} />;
  if (path === '/payments') return <PaymentsPage query={new URLSearchParams(query)} />;
  if (path === '/attention') return <AttentionPage />;
  return <GlancePage />;
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const counts = useAttentionCounts(route);
  const link = (href: string, label: string, extra?: string) => (
    <a href={`#${href}`} aria-current={route.startsWith(href) ? 'page' : undefined}>
      {label}
      {extra}
    </a>
  );
  return (
    <>
      <header>
        <nav aria-label="Console">
          <strong class="brand">CommuneDrop payments</strong>
          {link('/glance', 'At a glance')}
          {link('/payments', 'Payments')}
          {link('/attention', 'Needs attention', counts === null ? '' : ` (${counts})`)}
          <span class="zone">Times in {ZONE}</span>
          <button type="button" class="link" onClick={onSignOut}>Sign out</button>
        </nav>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(storedToken() !== null);
  const [reason, setReason] = useState<string | null>(null);
  useEffect(() => {
    whenUnauthorized((message) => {
      forgetToken();
      setReason(`Signed out: ${message}`);
      setSignedIn(false);
    });
  }, []);
  if (!signedIn) {
    return <SignInPage notice={reason} onSignedIn={() => (setReason(null), setSignedIn(true))} />;
  }
  return <Shell onSignOut={() => (forgetToken(), setSignedIn(false))} />;
}

render(<App />, document.getElementById('app')!);
