// The shell: sign-in until there is a credential that `me` accepts, then the navigation (by
// role) and the page of the current route.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { Provider } from '@urql/preact';
import { graphql } from './gql';
import { createApiClient, errorText } from './lib/client';
import { getToken, onAuthChange, signOut } from './lib/auth';
import { makeSession, SessionProvider, type Session } from './session';
import { SignIn } from './pages/SignIn';
import { Queue } from './pages/Queue';
import { RequestPage } from './pages/Request';
import { Qa } from './pages/Qa';
import { Workflows } from './pages/Workflows';
import { WorkflowPage } from './pages/Workflow';
import { ApiKeys } from './pages/ApiKeys';
import { Audit } from './pages/Audit';
import { Dashboard } from './pages/Dashboard';
import { QueryPage } from './pages/Query';
import { NotFound } from './pages/NotFound';

const MeQuery = graphql(`
  query Me {
    me {
      subject
      tenant
      roles
    }
  }
`);

export function App() {
  const [token, setTokenState] = useState(getToken());
  useEffect(() => onAuthChange(() => setTokenState(getToken())), []);
  return <LocationProvider>{token ? <SignedIn token={token} key={token} /> : <SignIn />}</LocationProvider>;
}

function SignedIn({ token }: { token: string }) {
  const api = useMemo(() => createApiClient(token), [token]);
  const [session, setSession] = useState<Session | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.client
      .query(MeQuery, {}, { requestPolicy: 'network-only' })
      .toPromise()
      .then((result) => {
        if (!live) return;
        if (result.data) setSession(makeSession(result.data.me, api.client));
        else if (result.error?.graphQLErrors[0]?.extensions?.['code'] !== 'UNAUTHENTICATED') setFailure(errorText(result.error));
      });
    return () => {
      live = false;
      api.ws.dispose();
    };
  }, [api]);
  if (failure) {
    return (
      <main class="center">
        <p role="alert">{failure}</p>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </main>
    );
  }
  if (!session) return <main class="center" aria-busy="true">Signing in…</main>;
  return (
    <Provider value={api.client}>
      <SessionProvider session={session}>
        <Shell session={session} />
      </SessionProvider>
    </Provider>
  );
}

interface NavItem {
  href: string;
  label: string;
  show: (s: Session) => boolean;
}

const NAV: NavItem[] = [
  { href: '/', label: 'Queue', show: () => true },
  { href: '/qa', label: 'QA', show: () => true },
  { href: '/dashboard', label: 'Dashboard', show: (s) => s.isOversight },
  { href: '/workflows', label: 'Workflows', show: () => true },
  { href: '/audit', label: 'Audit', show: (s) => s.isOversight },
  { href: '/keys', label: 'API keys', show: (s) => s.isAdmin },
  { href: '/query', label: 'Query', show: () => true },
];

function Shell({ session }: { session: Session }) {
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);
  const current = (href: string) => (href === '/' ? path === '/' || path.startsWith('/requests') : path.startsWith(href));
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="/">
          Countersign
        </a>
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <nav id="nav" aria-label="Main" class={menuOpen ? 'open' : ''}>
          <ul>
            {NAV.filter((n) => n.show(session)).map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who" data-testid="who">
          <span title="Subject">{session.me.subject}</span>
          <span class="muted" title="Tenant">
            {session.me.tenant}
          </span>
          <span class="roles" title="Roles">
            {session.me.roles.join(', ')}
          </span>
          <button type="button" class="link" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Router>
          <Route path="/" component={Queue} />
          <Route path="/requests/:id" component={RequestPage} />
          <Route path="/qa" component={Qa} />
          <Route path="/dashboard" component={Dashboard} />
          <Route path="/workflows" component={Workflows} />
          <Route path="/workflows/:key" component={WorkflowPage} />
          <Route path="/audit" component={Audit} />
          <Route path="/keys" component={ApiKeys} />
          <Route path="/query" component={QueryPage} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </div>
  );
}
