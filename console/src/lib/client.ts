// The one GraphQL client: queries and mutations over HTTP (`/graphql`), live updates over
// `/graphql/ws` (graphql-transport-ws). Both carry the credential in `Authorization`; an
// UNAUTHENTICATED answer on either signs the user out with the server's reason.

import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { getToken, signOut } from './auth';

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql/ws`;
}

/** Close codes of `/graphql/ws` that mean the credential is no good. */
const CREDENTIAL_CLOSES = new Set([4401, 4403]);

export function createApiClient(token: string): { client: Client; ws: WsClient } {
  const ws = createWsClient({
    url: wsUrl(),
    connectionParams: () => ({ Authorization: `Bearer ${getToken() ?? token}` }),
    lazy: true,
    keepAlive: 30_000,
    retryAttempts: Infinity,
    shouldRetry: (event) => {
      const code = (event as CloseEvent | undefined)?.code;
      if (code !== undefined && CREDENTIAL_CLOSES.has(code)) {
        signOut(`The server refused your credential (${(event as CloseEvent).reason || code}). Sign in again.`);
        return false;
      }
      return true;
    },
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 15_000)));
    },
  });
  const client = new Client({
    url: '/graphql',
    requestPolicy: 'cache-and-network',
    // POST for everything: queries stay out of URLs (and out of proxies' access logs).
    preferGetMethod: false,
    fetchOptions: () => ({
      headers: {
        Authorization: `Bearer ${getToken() ?? token}`,
        Accept: 'application/graphql-response+json, application/json',
        // Recorded as the channel of decisions made here ("console"); never a permission.
        'X-Countersign-Client': 'console',
      },
    }),
    exchanges: [
      mapExchange({
        onError(error) {
          const unauthenticated = error.graphQLErrors.find((e) => e.extensions?.['code'] === 'UNAUTHENTICATED');
          if (unauthenticated) signOut(unauthenticated.message);
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, ws };
}

/** The code and message of a failed operation, for display. */
export function errorText(error: { graphQLErrors: readonly { message: string; extensions?: Record<string, unknown> }[]; networkError?: Error | undefined; message: string } | undefined): string | null {
  if (!error) return null;
  const first = error.graphQLErrors[0];
  if (first) {
    const code = first.extensions?.['code'];
    return typeof code === 'string' ? `${first.message} (${code})` : first.message;
  }
  return error.networkError ? `The server could not be reached: ${error.networkError.message}` : error.message;
}

/** The error code of a failed operation, if any. */
export function errorCode(error: { graphQLErrors: readonly { extensions?: Record<string, unknown> }[] } | undefined): string | null {
  const code = error?.graphQLErrors[0]?.extensions?.['code'];
  return typeof code === 'string' ? code : null;
}
