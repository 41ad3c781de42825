// A workflow's policy versions and their lifecycle (admins): activate a proposal (four eyes:
// not its proposer), decline it with a reason, roll back to a version that was active before
// with a reason. Each step asks for confirmation and shows what changes.

import { useRef, useState } from 'preact/hooks';
import { useMutation } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { graphql } from '../../gql';
import { dateTime } from '../../lib/format';
import { errorCode } from '../../lib/client';
import { jsonDiff, changed } from '../../lib/diff';
import { activationBlocker, compactDiff, withoutNulls } from '../../lib/policy';
import { Diff } from '../common';
import { Dialog } from './Dialog';
import { ErrorNote, Problem } from './ErrorNote';
import type { Documents, PolicyVersionInfo } from './types';

const Activate = graphql(`
  mutation AdminActivatePolicy($key: String!, $version: Int!) {
    activatePolicy(workflowKey: $key, version: $version) {
      version
      status
    }
  }
`);

const Decline = graphql(`
  mutation AdminDeclinePolicy($key: String!, $version: Int!, $reason: String!) {
    declinePolicy(workflowKey: $key, version: $version, reason: $reason) {
      version
      status
    }
  }
`);

const Rollback = graphql(`
  mutation AdminRollbackPolicy($key: String!, $toVersion: Int!, $reason: String!) {
    rollbackPolicy(workflowKey: $key, toVersion: $toVersion, reason: $reason) {
      version
      status
    }
  }
`);

type Action = { kind: 'activate' | 'decline' | 'rollback'; version: PolicyVersionInfo };

const FOUR_EYES_HINTS = {
  FORBIDDEN: 'Four eyes: the admin who proposed a version cannot activate it. A second admin must activate it.',
};

export function PolicyVersions(props: {
  workflowKey: string;
  versions: PolicyVersionInfo[];
  activeVersion: number;
  documents: Documents;
  subject: string;
  isAdmin: boolean;
  onChanged: () => void;
}) {
  const [action, setAction] = useState<Action | null>(null);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [activateState, activate] = useMutation(Activate);
  const [declineState, decline] = useMutation(Decline);
  const [rollbackState, rollback] = useMutation(Rollback);
  const doneRef = useRef<HTMLParagraphElement>(null);
  const busy = activateState.fetching || declineState.fetching || rollbackState.fetching;

  const open = (kind: Action['kind'], version: PolicyVersionInfo) => {
    setAction({ kind, version });
    setReason('');
    setProblem(null);
    setError(null);
    setDone(null);
  };

  const confirm = async (e: Event) => {
    e.preventDefault();
    if (!action) return;
    const v = action.version.version;
    if (action.kind !== 'activate' && !reason.trim()) {
      setProblem('A reason is required (it is audited).');
      return;
    }
    const result =
      action.kind === 'activate'
        ? await activate({ key: props.workflowKey, version: v })
        : action.kind === 'decline'
          ? await decline({ key: props.workflowKey, version: v, reason: reason.trim() })
          : await rollback({ key: props.workflowKey, toVersion: v, reason: reason.trim() });
    if (result.error) {
      setError(result.error);
      if (errorCode(result.error) === 'CONFLICT' || errorCode(result.error) === 'NOT_FOUND') props.onChanged();
      return;
    }
    setAction(null);
    setDone(
      action.kind === 'activate'
        ? `Version ${v} is now active: it routes every new action.`
        : action.kind === 'decline'
          ? `Version ${v} was declined.`
          : `Rolled back: version ${v} is active again.`,
    );
    props.onChanged();
    // The button that opened the dialog may be gone (the row changed): announce the outcome there.
    setTimeout(() => doneRef.current?.focus(), 50);
  };

  const activeDoc = props.documents?.get(props.activeVersion);
  const targetDoc = action ? props.documents?.get(action.version.version) : undefined;
  const diff = action && action.kind !== 'decline' && activeDoc !== undefined && targetDoc !== undefined ? jsonDiff(withoutNulls(activeDoc), withoutNulls(targetDoc)) : null;

  return (
    <section class="panel" aria-labelledby="versions-title">
      <h2 id="versions-title">Policy versions</h2>
      <p class="hint">
        A proposed version routes nothing until a second admin activates it (four eyes); the active one then becomes SUPERSEDED. A version that was active before can be rolled back to
        by one admin, with a reason.
      </p>
      <p role="status" class={done ? 'notice' : 'sr-only'} tabIndex={-1} ref={doneRef}>
        {done ?? ''}
      </p>
      <div class="table-wrap">
        <table class="responsive" data-testid="policy-versions">
          <caption class="sr-only">Policy versions, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Proposed</th>
              <th scope="col">Note</th>
              <th scope="col">Activated</th>
              <th scope="col">Status reason</th>
              {props.isAdmin && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {props.versions.map((v) => {
              const blocker = v.status === 'PROPOSED' ? activationBlocker(v, props.subject) : null;
              return (
                <tr key={v.version} data-testid="policy-version" data-version={v.version} data-status={v.status}>
                  <th scope="row" data-label="Version">
                    v{v.version}
                  </th>
                  <td data-label="Status">
                    <span class={`badge status-${v.status}`}>{v.status}</span>
                  </td>
                  <td data-label="Proposed">
                    <div class="cell">
                      <div>{v.proposedBy}</div>
                      <div class="small muted nowrap">{dateTime(v.createdAt)}</div>
                    </div>
                  </td>
                  <td data-label="Note">{v.note ? <span>{v.note}</span> : <span class="muted">—</span>}</td>
                  <td data-label="Activated">
                    {v.activatedAt ? (
                      <div class="cell">
                        <div>{v.activatedBy ?? '—'}</div>
                        <div class="small muted nowrap">{dateTime(v.activatedAt)}</div>
                      </div>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td data-label="Status reason">{v.statusReason ? <span>{v.statusReason}</span> : <span class="muted">—</span>}</td>
                  {props.isAdmin && (
                    <td data-label="Actions">
                      <div class="cell">
                        <div class="row">
                          {v.status === 'PROPOSED' && (
                            <>
                              <button type="button" class="primary" disabled={blocker !== null} aria-describedby={blocker ? `blocker-${v.version}` : undefined} onClick={() => open('activate', v)}>
                                Activate v{v.version}
                              </button>
                              <button type="button" onClick={() => open('decline', v)}>
                                Decline v{v.version}
                              </button>
                            </>
                          )}
                          {v.status === 'SUPERSEDED' && (
                            <button type="button" onClick={() => open('rollback', v)}>
                              Roll back to v{v.version}
                            </button>
                          )}
                          {v.status === 'ACTIVE' && <span class="muted small">in force</span>}
                        </div>
                        {blocker && (
                          <p class="small warn" id={`blocker-${v.version}`}>
                            {blocker}
                          </p>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Dialog
        open={action !== null}
        wide={diff !== null}
        title={
          action
            ? action.kind === 'activate'
              ? `Activate version ${action.version.version}?`
              : action.kind === 'decline'
                ? `Decline version ${action.version.version}?`
                : `Roll back to version ${action.version.version}?`
            : ''
        }
        onClose={() => setAction(null)}
      >
        {action && (
          <form onSubmit={confirm} noValidate>
            {action.kind === 'activate' && (
              <p>
                Version {action.version.version} (proposed by {action.version.proposedBy}) will route every new action; version {props.activeVersion} becomes SUPERSEDED.
              </p>
            )}
            {action.kind === 'decline' && <p>Version {action.version.version} will never route anything. The reason is audited.</p>}
            {action.kind === 'rollback' && (
              <p class="warn">
                Emergency path: version {action.version.version} becomes active again at once, without a second admin; version {props.activeVersion} becomes SUPERSEDED. The reason is
                audited.
              </p>
            )}
            {diff && (
              <>
                <h3>
                  Changes from v{props.activeVersion} (active) to v{action.version.version}
                </h3>
                {changed(diff) ? <Diff lines={compactDiff(diff)} label={`Policy changes from version ${props.activeVersion} to ${action.version.version}`} /> : <p class="muted">The documents are identical.</p>}
              </>
            )}
            {action.kind !== 'activate' && (
              <div class="field">
                <label for="version-reason">Reason</label>
                <input
                  id="version-reason"
                  type="text"
                  value={reason}
                  maxLength={500}
                  aria-invalid={problem !== null}
                  aria-describedby={problem ? 'version-problem' : undefined}
                  onInput={(e) => setReason(e.currentTarget.value)}
                />
              </div>
            )}
            <Problem text={problem} id="version-problem" />
            <ErrorNote error={error} hints={action.kind === 'activate' ? FOUR_EYES_HINTS : undefined} />
            <div class="actions">
              <button type="button" onClick={() => setAction(null)}>
                Cancel
              </button>
              <button type="submit" class={action.kind === 'activate' ? 'primary' : 'danger'} data-autofocus={action.kind === 'activate' ? true : undefined} disabled={busy}>
                {busy ? 'Working…' : action.kind === 'activate' ? 'Activate' : action.kind === 'decline' ? 'Decline' : 'Roll back'}
              </button>
            </div>
          </form>
        )}
      </Dialog>
    </section>
  );
}
