// Deciding many requests at once (`decideMany`): the confirmation dialogs and the per-item result.

import { useEffect, useRef, useState } from 'preact/hooks';
import { graphql } from '../../gql';
import { batchSummary, reasonCodeProblem, type Selected } from '../../lib/queue';
import { Modal } from './Modal';
import { ReasonCodeField } from './ReasonCodeField';

export const DecideManyMutation = graphql(`
  mutation ReviewerDecideMany($inputs: [DecideInput!]!) {
    decideMany(inputs: $inputs) {
      requestId
      request {
        id
        status
        version
      }
      error {
        code
        message
      }
    }
  }
`);

export interface BatchOutcome {
  decision: 'APPROVE' | 'REJECT';
  results: { requestId: string; title: string; status: string | null; error: { code: string; message: string } | null }[];
}

/** What a batch did, one line per request ([data-testid=batch-result]). */
export function BatchResults(props: { outcome: BatchOutcome; onDismiss: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [props.outcome]);
  const summary = batchSummary(props.outcome.results.map((r) => ({ requestId: r.requestId, request: r.status ? { status: r.status } : null, error: r.error })));
  const verb = props.outcome.decision === 'APPROVE' ? 'Approve' : 'Reject';
  return (
    <section class={`panel rv-batch ${summary.failed > 0 ? 'rv-batch-failed' : ''}`} aria-labelledby="batch-heading">
      <div class="row">
        <h2 id="batch-heading" tabIndex={-1} ref={heading}>
          {verb}: {summary.text}
        </h2>
        <button type="button" class="link" onClick={props.onDismiss}>
          Dismiss
        </button>
      </div>
      <ul class="rv-batch-list">
        {props.outcome.results.map((r) => (
          <li key={r.requestId} data-testid="batch-result" data-id={r.requestId} data-ok={r.error ? 'false' : 'true'} class={r.error ? 'failed' : 'ok'}>
            <span aria-hidden="true">{r.error ? '✗ ' : '✓ '}</span>
            <a href={`/requests/${r.requestId}`}>{r.title}</a>
            {r.error ? (
              <>
                {' — '}
                <strong>failed:</strong> {r.error.message} ({r.error.code})
              </>
            ) : (
              <>
                {' — '}
                {r.status === 'PENDING' ? 'your approval was recorded; it waits for the next step' : `now ${r.status}`}
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Titles({ items }: { items: readonly Selected[] }) {
  const shown = items.slice(0, 8);
  return (
    <ul class="rv-titles">
      {shown.map((i) => (
        <li key={i.id}>{i.title}</li>
      ))}
      {items.length > shown.length && <li class="muted">and {items.length - shown.length} more</li>}
    </ul>
  );
}

const plural = (n: number) => `${n} request${n === 1 ? '' : 's'}`;

/** Confirms approving `items` (used by the `a` key, where one key press should not approve unseen). */
export function ApproveDialog(props: { items: readonly Selected[] | null; busy: boolean; onConfirm: () => void; onClose: () => void }) {
  const items = props.items ?? [];
  return (
    <Modal open={props.items !== null} title={`Approve ${plural(items.length)}?`} onClose={props.onClose}>
      <Titles items={items} />
      <p class="muted small">Each is approved at the version you saw; one that changed meanwhile is not approved.</p>
      <div class="row rv-actions">
        <button type="button" class="primary" data-autofocus disabled={props.busy} onClick={props.onConfirm}>
          Confirm approval
        </button>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}

/** Asks for the reason code (required) and a comment before rejecting `items`. */
export function RejectDialog(props: {
  items: readonly Selected[] | null;
  workflowKey: string | null;
  busy: boolean;
  onConfirm: (reasonCode: string, comment: string) => void;
  onClose: () => void;
}) {
  const items = props.items ?? [];
  const [code, setCode] = useState('');
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (props.items) {
      setCode('');
      setComment('');
      setProblem(null);
    }
  }, [props.items]);
  const submit = (e: Event) => {
    e.preventDefault();
    const p = reasonCodeProblem(code);
    setProblem(p);
    if (p) {
      codeRef.current?.focus();
      return;
    }
    props.onConfirm(code.trim(), comment);
  };
  return (
    <Modal open={props.items !== null} title={`Reject ${plural(items.length)}`} onClose={props.onClose}>
      <Titles items={items} />
      <form onSubmit={submit} noValidate>
        <ReasonCodeField workflowKey={props.workflowKey} value={code} onInput={(v) => { setCode(v); if (problem) setProblem(null); }} problem={problem} inputRef={codeRef} />
        <label for="batch-reject-comment">Comment</label>
        <textarea id="batch-reject-comment" rows={3} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
        <div class="row rv-actions">
          <button type="submit" class="danger" disabled={props.busy}>
            Confirm rejection
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}
