// A refused operation: the server's message and code, the field it names, and what the code
// means here. CONFLICT says the data was reloaded (the caller reloads it).

import type { CombinedError } from '@urql/core';
import { errorCode, errorText } from '../../lib/client';

const HINTS: Record<string, string> = {
  CONFLICT: 'Someone changed this meanwhile: the page has been reloaded with the current data. Check it and try again.',
  FORBIDDEN: 'Your roles do not allow this.',
};

export function ErrorNote({ error, hints }: { error: CombinedError | null | undefined; hints?: Record<string, string> }) {
  if (!error) return null;
  const code = errorCode(error);
  const field = error.graphQLErrors[0]?.extensions?.['field'];
  const hint = code ? (hints?.[code] ?? HINTS[code]) : undefined;
  return (
    <div role="alert" class="alert">
      <div>{errorText(error)}</div>
      {Array.isArray(field) && field.length > 0 && (
        <div class="small">
          At: <code>{field.join('.')}</code>
        </div>
      )}
      {hint && <div class="small">{hint}</div>}
    </div>
  );
}

/** A message that is not an operation's error (a client-side check). */
export function Problem({ text, id }: { text: string | null | undefined; id?: string }) {
  if (!text) return null;
  return (
    <p role="alert" class="alert" id={id}>
      {text}
    </p>
  );
}
