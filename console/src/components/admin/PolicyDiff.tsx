// The difference between any two policy versions of a workflow.

import { useEffect, useState } from 'preact/hooks';
import { jsonDiff, changed } from '../../lib/diff';
import { compactDiff, defaultDiffPair, withoutNulls } from '../../lib/policy';
import { Diff } from '../common';
import type { Documents, PolicyVersionInfo } from './types';

export function PolicyDiff(props: { versions: PolicyVersionInfo[]; documents: Documents }) {
  const pair = defaultDiffPair(props.versions);
  const [from, setFrom] = useState<number | null>(pair?.[0] ?? null);
  const [to, setTo] = useState<number | null>(pair?.[1] ?? null);
  const [whole, setWhole] = useState(false);
  const count = props.versions.length;
  // A new version (proposed, activated) moves the default pair along.
  useEffect(() => {
    const p = defaultDiffPair(props.versions);
    setFrom(p?.[0] ?? null);
    setTo(p?.[1] ?? null);
  }, [count]);

  const before = from !== null ? props.documents?.get(from) : undefined;
  const after = to !== null ? props.documents?.get(to) : undefined;
  const lines = before !== undefined && after !== undefined ? jsonDiff(withoutNulls(before), withoutNulls(after)) : null;
  const adds = lines?.filter((l) => l.kind === 'add').length ?? 0;
  const dels = lines?.filter((l) => l.kind === 'del').length ?? 0;
  const option = (v: PolicyVersionInfo) => (
    <option key={v.version} value={v.version}>
      v{v.version} ({v.status})
    </option>
  );

  return (
    <section class="panel" aria-labelledby="diff-title">
      <h2 id="diff-title">Compare versions</h2>
      <div class="fields">
        <div class="field">
          <label for="diff-from">From version</label>
          <select id="diff-from" value={from ?? ''} onChange={(e) => setFrom(Number(e.currentTarget.value))}>
            {props.versions.map(option)}
          </select>
        </div>
        <div class="field">
          <label for="diff-to">To version</label>
          <select id="diff-to" value={to ?? ''} onChange={(e) => setTo(Number(e.currentTarget.value))}>
            {props.versions.map(option)}
          </select>
        </div>
        <div class="field">
          <button
            type="button"
            onClick={() => {
              setFrom(to);
              setTo(from);
            }}
          >
            Swap
          </button>
        </div>
      </div>
      {props.documents === null ? (
        <p class="muted">Policy documents are needed to compare versions.</p>
      ) : !lines ? (
        <p class="muted">Pick two versions.</p>
      ) : (
        <>
          <p class="small" aria-live="polite" data-testid="diff-summary">
            {from === to
              ? 'The same version on both sides.'
              : changed(lines)
                ? `v${from} → v${to}: ${adds} line${adds === 1 ? '' : 's'} added, ${dels} removed.`
                : `v${from} and v${to} are identical.`}
          </p>
          <label class="inline small">
            <input type="checkbox" checked={whole} onChange={(e) => setWhole(e.currentTarget.checked)} />
            Show unchanged lines
          </label>
          <Diff lines={whole ? lines : compactDiff(lines)} label={`Policy changes from version ${from} to version ${to}`} />
        </>
      )}
    </section>
  );
}
