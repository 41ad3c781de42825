// The credential: a JWT or an API key pasted at sign-in, kept in sessionStorage (this tab only,
// gone when it closes) under `countersign.token`, never in a URL.

export const TOKEN_KEY = 'countersign.token';
const REASON_KEY = 'countersign.signedOutReason';

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  sessionStorage.removeItem(REASON_KEY);
}

type Listener = () => void;
const listeners = new Set<Listener>();

/** Called with no argument when the credential changes (sign-in, sign-out). */
export function onAuthChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function notifyAuthChange(): void {
  for (const l of listeners) l();
}

/** Forgets the credential; `reason` is shown on the sign-in page. */
export function signOut(reason?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  if (reason) sessionStorage.setItem(REASON_KEY, reason);
  else sessionStorage.removeItem(REASON_KEY);
  notifyAuthChange();
}

/** Why the last session ended, if it was not the user's choice (read once). */
export function takeSignedOutReason(): string | null {
  const reason = sessionStorage.getItem(REASON_KEY);
  sessionStorage.removeItem(REASON_KEY);
  return reason;
}

/** What a pasted credential looks like: an API key (`cs_…`), a JWT (three parts), or neither. */
export function credentialKind(token: string): 'api-key' | 'jwt' | null {
  const t = token.trim();
  if (/^cs_[A-Za-z0-9_-]+$/.test(t)) return 'api-key';
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(t)) return 'jwt';
  return null;
}

/** The `exp` of a JWT, if it has one and it can be read (no verification: the server does that). */
export function jwtExpiry(token: string): Date | null {
  if (credentialKind(token) !== 'jwt') return null;
  const part = token.trim().split('.')[1] ?? '';
  try {
    const padded = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const claims = JSON.parse(atob(padded)) as { exp?: unknown };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null;
  } catch {
    return null;
  }
}
