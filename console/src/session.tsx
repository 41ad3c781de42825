// Who is signed in: the credential, the API client built for it and `me` (subject, tenant,
// roles). Pages read it with `useSession()`.

import { createContext, type ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import type { Client } from '@urql/core';

export interface Me {
  subject: string;
  tenant: string;
  roles: string[];
}

export interface Session {
  me: Me;
  client: Client;
  /** True when `me.roles` holds any of `roles`. */
  hasRole: (...roles: string[]) => boolean;
  /** True for an admin or an auditor (analytics, audit, exports, policy documents). */
  isOversight: boolean;
  isAdmin: boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

export function makeSession(me: Me, client: Client): Session {
  const hasRole = (...roles: string[]) => roles.some((r) => me.roles.includes(r));
  return { me, client, hasRole, isOversight: hasRole('admin', 'auditor'), isAdmin: hasRole('admin') };
}

export function SessionProvider(props: { session: Session; children: ComponentChildren }) {
  return <SessionContext.Provider value={props.session}>{props.children}</SessionContext.Provider>;
}
