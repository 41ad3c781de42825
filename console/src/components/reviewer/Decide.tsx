// The decision panel of the request view: approve, edit then approve (JSON editor, live
// validation, diff against the AI's draft) or reject (reason code and comment). Every decision
// carries the version the reviewer saw; a CONFLICT reloads the request and says why.

import { useId, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useMutation } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { graphql } from '../../gql';
import type { ReviewerRequestDetailFragment } from '../../gql/graphql';
import { errorCode } from '../../lib/client';
import { changed, jsonDiff } from '../../lib/diff';
import { prettyJson } from '../../lib/format';
import { reasonCodeProblem } from '../../lib/queue';
import { editedActionToSend, parseAction } from '../../lib/review';
import { Diff, ErrorBox } from '../common';
import { Modal } from './Modal';
import { ReasonCodeField } from './ReasonCodeField';

export const DecideMutation = graphql(`
  mutation ReviewerDecide($input: DecideInput!) {
    decide(input: $input) {
      ...ReviewerRequestDetail
    }
  }
`);

export type Detail = ReviewerRequestDetailFragment;
export type DecideMode = 'none' | 'edit' | 'reject';

export interface DecisionPanelHandle {
  focusConfirm: () => void;
}

export function DecisionPanel(props: {
  request: Detail;
  /** Why the signed-in person probably cannot decide it (the server has the last word), or null. */
  cannot: string | null;
  mode: DecideMode;
  setMode: (mode: DecideMode) => void;
  /** A decision went through: the request as it now stands. */
  onDecided: (request: Detail, what: 'APPROVE' | 'REJECT', edited: boolean) => void;
  /** The version was stale (CONFLICT): explain (the server's message is given) and reload the request. */
  onConflict: (serverMessage: string) => void;
  /** Set when `a` was pressed: ask to confirm a plain approval. */
  confirmOpen: boolean;
  setConfirmOpen: (open: boolean) => void;
  handle?: { current: DecisionPanelHandle | null };
}) {
  const { request, mode, setMode } = props;
  const ids = useId();
  const [state, decide] = useMutation(DecideMutation);
  const [error, setError] = useState<CombinedError | null>(null);

  // Edit mode.
  const [text, setText] = useState('');
  const [editComment, setEditComment] = useState('');
  const [editProblem, setEditProblem] = useState<string | null>(null);
  const editorRef = useRef<HTMLTextAreaElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  // Reject mode.
  const [code, setCode] = useState('');
  const [rejectComment, setRejectComment] = useState('');
  const [rejectProblem, setRejectProblem] = useState<string | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  if (props.handle) props.handle.current = { focusConfirm: () => confirmRef.current?.focus() };

  // Entering a mode fills and focuses its form. A layout effect, so the editor is never shown (or
  // read by a test or a screen reader) empty before the draft is in it.
  const previousMode = useRef<DecideMode>('none');
  useLayoutEffect(() => {
    if (mode === previousMode.current) return;
    previousMode.current = mode;
    if (mode === 'edit') {
      setText(prettyJson(request.finalAction));
      setEditProblem(null);
      setTimeout(() => editorRef.current?.focus(), 0);
    } else if (mode === 'reject') {
      setRejectProblem(null);
      setTimeout(() => codeRef.current?.focus(), 0);
    }
  }, [mode]);

  const parsed = useMemo(() => (mode === 'edit' ? parseAction(text) : null), [mode, text]);
  const lastGood = useRef<Record<string, unknown> | null>(null);
  if (parsed?.ok) lastGood.current = parsed.value;
  const diff = useMemo(() => (lastGood.current ? jsonDiff(request.action, lastGood.current) : []), [request.action, parsed]);
  const diffChanged = changed(diff);
  const changedLines = diff.filter((l) => l.kind !== 'same').length;

  const send = async (input: { decision: 'APPROVE' | 'REJECT'; editedAction?: unknown; reasonCode?: string; comment?: string }) => {
    setError(null);
    const result = await decide({
      input: {
        requestId: request.id,
        expectedVersion: request.version,
        decision: input.decision,
        ...(input.editedAction !== undefined ? { editedAction: input.editedAction } : {}),
        ...(input.reasonCode ? { reasonCode: input.reasonCode } : {}),
        ...(input.comment?.trim() ? { comment: input.comment.trim() } : {}),
      },
    });
    if (result.data) {
      props.setConfirmOpen(false);
      setMode('none');
      props.onDecided(result.data.decide, input.decision, input.editedAction !== undefined);
      return;
    }
    props.setConfirmOpen(false);
    if (errorCode(result.error) === 'CONFLICT') {
      setMode('none');
      props.onConflict(result.error?.graphQLErrors[0]?.message ?? '');
      return;
    }
    setError(result.error ?? null);
  };

  const approve = () => void send({ decision: 'APPROVE' });

  const confirmEdit = (e: Event) => {
    e.preventDefault();
    const p = parseAction(text);
    if (!p.ok) {
      setEditProblem(p.error);
      editorRef.current?.focus();
      return;
    }
    setEditProblem(null);
    void send({ decision: 'APPROVE', editedAction: editedActionToSend(p.value, request.finalAction), comment: editComment });
  };

  const confirmReject = (e: Event) => {
    e.preventDefault();
    const p = reasonCodeProblem(code);
    setRejectProblem(p);
    if (p) {
      codeRef.current?.focus();
      return;
    }
    void send({ decision: 'REJECT', reasonCode: code.trim(), comment: rejectComment });
  };

  const busy = state.fetching;
  return (
    <section class="panel rv-decide" aria-labelledby={`${ids}-h`}>
      <h2 id={`${ids}-h`}>Your decision</h2>
      {props.cannot && (
        <p class="warn">
          <strong>You probably cannot decide this request.</strong> {props.cannot} The server has the last word.
        </p>
      )}
      <ErrorBox error={error} />
      <div class="row">
        <button type="button" class="primary" onClick={approve} disabled={busy}>
          Approve
        </button>
        <button type="button" aria-expanded={mode === 'edit'} onClick={() => setMode(mode === 'edit' ? 'none' : 'edit')} disabled={busy}>
          Edit and approve
        </button>
        <button type="button" aria-expanded={mode === 'reject'} onClick={() => setMode(mode === 'reject' ? 'none' : 'reject')} disabled={busy}>
          Reject
        </button>
        {busy && (
          <span class="muted small" aria-live="polite">
            Sending…
          </span>
        )}
      </div>
      <p class="muted small">
        Decides version {request.version}
        {request.currentStep !== null && request.currentStep !== undefined ? `, step ${request.currentStep + 1} of ${request.steps.length}` : ''}.
        Keys: <kbd class="kbd">a</kbd> approve, <kbd class="kbd">e</kbd> edit, <kbd class="kbd">r</kbd> reject.
      </p>

      {mode === 'edit' && (
        <form onSubmit={confirmEdit} noValidate aria-label="Edit the action, then approve">
          <label for={`${ids}-json`}>Edited action (JSON)</label>
          <textarea
            id={`${ids}-json`}
            ref={editorRef}
            class="code"
            rows={Math.min(20, Math.max(6, text.split('\n').length + 1))}
            spellcheck={false}
            autocomplete="off"
            value={text}
            aria-invalid={parsed && !parsed.ok ? true : undefined}
            aria-describedby={`${ids}-json-status`}
            onInput={(e) => {
              setText((e.target as HTMLTextAreaElement).value);
              setEditProblem(null);
            }}
          />
          <p id={`${ids}-json-status`} class="small" aria-live="polite">
            {parsed && !parsed.ok ? (
              <span class="overdue">
                <span aria-hidden="true">✗ </span>
                {parsed.error}
              </span>
            ) : (
              <span class="rv-json-ok">
                <span aria-hidden="true">✓ </span>Valid JSON object.
              </span>
            )}
          </p>
          {editProblem && (
            <p role="alert" class="alert">
              Cannot approve: {editProblem}
            </p>
          )}
          <h3 id={`${ids}-diff-h`}>Changes against the AI's draft</h3>
          <div data-testid="edit-diff">
            <p class="small" style={{ margin: '0 0 0.35rem' }}>
              {diffChanged ? `${changedLines} line${changedLines === 1 ? '' : 's'} differ from the AI's draft.` : 'No changes against the AI’s draft yet.'}
              {parsed && !parsed.ok ? ' (Showing the last valid version.)' : ''}
            </p>
            <Diff lines={diff} label="Changes against the AI's draft" />
          </div>
          <label for={`${ids}-edit-comment`}>Comment (optional)</label>
          <textarea id={`${ids}-edit-comment`} rows={2} value={editComment} onInput={(e) => setEditComment((e.target as HTMLTextAreaElement).value)} />
          <div class="row rv-actions">
            <button type="submit" class="primary" ref={confirmRef} disabled={busy}>
              Confirm approval
            </button>
            <button type="button" onClick={() => setMode('none')}>
              Cancel
            </button>
          </div>
        </form>
      )}

      {mode === 'reject' && (
        <form onSubmit={confirmReject} noValidate aria-label="Reject">
          <ReasonCodeField
            workflowKey={request.workflowKey}
            value={code}
            onInput={(v) => {
              setCode(v);
              if (rejectProblem) setRejectProblem(null);
            }}
            problem={rejectProblem}
            inputRef={codeRef}
          />
          <label for={`${ids}-reject-comment`}>Comment</label>
          <textarea id={`${ids}-reject-comment`} rows={3} value={rejectComment} onInput={(e) => setRejectComment((e.target as HTMLTextAreaElement).value)} />
          <div class="row rv-actions">
            <button type="submit" class="danger" disabled={busy}>
              Confirm rejection
            </button>
            <button type="button" onClick={() => setMode('none')}>
              Cancel
            </button>
          </div>
        </form>
      )}

      <Modal open={props.confirmOpen} title="Approve this request?" onClose={() => props.setConfirmOpen(false)}>
        <p>
          <strong>{request.title}</strong>
        </p>
        <p class="muted small">The action is approved as it stands (version {request.version}).</p>
        <div class="row rv-actions">
          <button type="button" class="primary" data-autofocus disabled={busy} onClick={approve}>
            Confirm approval
          </button>
          <button type="button" onClick={() => props.setConfirmOpen(false)}>
            Cancel
          </button>
        </div>
      </Modal>
    </section>
  );
}
