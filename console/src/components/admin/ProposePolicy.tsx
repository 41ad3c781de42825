// Propose a new policy version (admins): the document as JSON, prefilled from the active
// version, checked as JSON here (the server checks the rest and names the place), with a note.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { useMutation } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { graphql } from '../../gql';
import { errorCode } from '../../lib/client';
import { changed, jsonDiff } from '../../lib/diff';
import { compactDiff, editableJson, parsePolicy, withoutNulls } from '../../lib/policy';
import { Diff } from '../common';
import { ErrorNote, Problem } from './ErrorNote';

const Propose = graphql(`
  mutation AdminProposePolicy($key: String!, $policy: JSON!, $note: String) {
    proposePolicy(workflowKey: $key, policy: $policy, note: $note) {
      version
      status
    }
  }
`);

export function ProposePolicy(props: { workflowKey: string; activeVersion: number; activeDocument: unknown; onChanged: () => void }) {
  const initial = useMemo(() => editableJson(props.activeDocument), [props.activeDocument]);
  const [text, setText] = useState(initial);
  const [dirty, setDirty] = useState(false);
  const [note, setNote] = useState('');
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<CombinedError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [{ fetching }, propose] = useMutation(Propose);

  // Follow the active version until the admin starts editing.
  useEffect(() => {
    if (!dirty) setText(initial);
  }, [initial]);

  const parsed = parsePolicy(text);
  const diff = parsed.ok ? jsonDiff(withoutNulls(props.activeDocument), withoutNulls(parsed.value)) : null;
  const showProblem = touched && !parsed.ok;

  const submit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    setDone(null);
    setError(null);
    if (!parsed.ok) {
      document.getElementById('propose-document')?.focus();
      return;
    }
    const result = await propose({ key: props.workflowKey, policy: parsed.value, note: note.trim() || null });
    if (result.error) {
      setError(result.error);
      if (errorCode(result.error) === 'CONFLICT') props.onChanged();
      return;
    }
    const v = result.data?.proposePolicy.version;
    setDone(`Proposed as version ${v ?? '?'} (PROPOSED). It routes nothing until a second admin activates it.`);
    setText(initial);
    setDirty(false);
    setNote('');
    setTouched(false);
    props.onChanged();
  };

  return (
    <section class="panel" aria-labelledby="propose-title">
      <h2 id="propose-title">Propose a new version</h2>
      <form onSubmit={submit} noValidate>
        <label for="propose-document">Policy document (JSON)</label>
        <p class="hint" id="propose-help">
          Prefilled from the active version (v{props.activeVersion}). Rules, default route, validations… as in docs/policy.md; the server checks it completely and names the place of any
          error.
        </p>
        <textarea
          id="propose-document"
          class="code"
          spellcheck={false}
          value={text}
          aria-invalid={showProblem}
          aria-describedby={`propose-help${showProblem ? ' propose-problem' : ''}`}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setDirty(true);
          }}
          onBlur={() => setTouched(true)}
        />
        {showProblem && !parsed.ok && <Problem text={parsed.error} id="propose-problem" />}
        {!showProblem && !parsed.ok && dirty && <p class="hint">Not valid yet: {parsed.error}</p>}
        <div class="row">
          <button
            type="button"
            disabled={!parsed.ok}
            onClick={() => {
              if (parsed.ok) setText(JSON.stringify(parsed.value, null, 2));
            }}
          >
            Format
          </button>
          <button
            type="button"
            disabled={!dirty}
            onClick={() => {
              setText(initial);
              setDirty(false);
              setTouched(false);
            }}
          >
            Reset to v{props.activeVersion}
          </button>
        </div>
        {diff && (
          <details class="json-details" open={dirty && changed(diff)}>
            <summary>{changed(diff) ? 'Changes against the active version' : 'No changes against the active version yet'}</summary>
            {changed(diff) && <Diff lines={compactDiff(diff)} label="Changes of the proposal against the active version" />}
          </details>
        )}
        <label for="propose-note">Note</label>
        <input id="propose-note" type="text" value={note} maxLength={500} style={{ width: '100%' }} onInput={(e) => setNote(e.currentTarget.value)} />
        <ErrorNote error={error} />
        <p role="status" class={done ? 'notice' : 'sr-only'}>
          {done ?? ''}
        </p>
        <div class="actions start">
          <button type="submit" class="primary" disabled={fetching}>
            {fetching ? 'Proposing…' : 'Propose'}
          </button>
        </div>
      </form>
    </section>
  );
}
