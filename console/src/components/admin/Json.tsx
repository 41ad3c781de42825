// JSON shown to people: pretty-printed with sorted keys, optionally behind a <details>.

import { prettyJson } from '../../lib/format';

export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="json" tabIndex={0} role="region" aria-label={label}>
      <code>{prettyJson(value)}</code>
    </pre>
  );
}

export function JsonDetails({ value, summary, label }: { value: unknown; summary: string; label: string }) {
  return (
    <details class="json-details">
      <summary>{summary}</summary>
      <JsonBlock value={value} label={label} />
    </details>
  );
}
