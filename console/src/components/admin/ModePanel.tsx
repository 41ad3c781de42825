// The kill switch: the workflow's mode, and (admins) a change with a required reason and a
// confirm dialog that says what the new mode does.

import { useEffect, useState } from 'preact/hooks';
import { useMutation } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { graphql } from '../../gql';
import { MODE_EFFECT, MODE_LABEL, MODES, type WorkflowMode } from '../../lib/policy';
import { errorCode } from '../../lib/client';
import { Dialog } from './Dialog';
import { ErrorNote, Problem } from './ErrorNote';

const SetMode = graphql(`
  mutation AdminSetWorkflowMode($key: String!, $mode: WorkflowMode!, $reason: String!) {
    setWorkflowMode(workflowKey: $key, mode: $mode, reason: $reason) {
      key
      mode
      modeReason
    }
  }
`);

export function ModePanel(props: { workflowKey: string; mode: WorkflowMode; modeReason?: string | null; canChange: boolean; onChanged: () => void }) {
  const [selected, setSelected] = useState<WorkflowMode>(props.mode);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<CombinedError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [{ fetching }, setMode] = useMutation(SetMode);

  useEffect(() => setSelected(props.mode), [props.mode]);

  const ask = (e: Event) => {
    e.preventDefault();
    setDone(null);
    setError(null);
    if (selected === props.mode) {
      setProblem(`The workflow is already ${props.mode}: pick another mode.`);
      return;
    }
    if (!reason.trim()) {
      setProblem('A reason is required: say why the mode changes (it is audited).');
      document.getElementById('mode-reason')?.focus();
      return;
    }
    setProblem(null);
    setConfirming(true);
  };

  const confirm = async () => {
    const result = await setMode({ key: props.workflowKey, mode: selected, reason: reason.trim() });
    if (result.error) {
      setError(result.error);
      if (errorCode(result.error) === 'CONFLICT') props.onChanged();
      return;
    }
    setConfirming(false);
    setReason('');
    setDone(`Mode changed to ${result.data?.setWorkflowMode.mode ?? selected}.`);
    props.onChanged();
  };

  return (
    <section class="panel" aria-labelledby="mode-title">
      <h2 id="mode-title">Mode (kill switch)</h2>
      <p class="row">
        <span>Current mode:</span>
        <span class={`badge mode mode-${props.mode}`} data-testid="workflow-mode">
          {props.mode}
        </span>
      </p>
      <p class="hint">{MODE_EFFECT[props.mode]}</p>
      {props.modeReason && (
        <p class="small">
          <span class="muted">Reason of the last change:</span> {props.modeReason}
        </p>
      )}
      <p role="status" class={done ? 'notice' : 'sr-only'}>
        {done ?? ''}
      </p>
      {props.canChange ? (
        <form onSubmit={ask} noValidate aria-describedby="mode-help">
          <p id="mode-help" class="hint">
            The kill switch: PAUSED refuses new actions, MANUAL_ONLY sends every action to people, ACTIVE restores policy routing.
          </p>
          <div class="fields">
            <div class="field">
              <label for="mode-select">Mode</label>
              <select id="mode-select" value={selected} onChange={(e) => setSelected(e.currentTarget.value as WorkflowMode)}>
                {MODES.map((m) => (
                  <option key={m} value={m}>
                    {m === props.mode ? `${m} (current)` : m} — {MODE_LABEL[m]}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="mode-reason">Reason</label>
              <input
                id="mode-reason"
                type="text"
                value={reason}
                maxLength={500}
                aria-invalid={problem !== null && !reason.trim()}
                aria-describedby={problem ? 'mode-problem' : undefined}
                onInput={(e) => setReason(e.currentTarget.value)}
              />
            </div>
          </div>
          <Problem text={problem} id="mode-problem" />
          <div class="actions start">
            <button type="submit" class="primary">
              Change mode
            </button>
          </div>
        </form>
      ) : (
        <p class="muted small">Only admins change the mode.</p>
      )}
      <Dialog open={confirming} title={`Change the mode to ${selected}?`} onClose={() => setConfirming(false)}>
        <p>
          From <strong>{props.mode}</strong> to <strong>{selected}</strong>.
        </p>
        <p class={selected === 'ACTIVE' ? 'notice' : 'warn'}>{MODE_EFFECT[selected]}</p>
        <p>
          <span class="muted">Reason (audited):</span> {reason.trim()}
        </p>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
          <button type="button" class={selected === 'ACTIVE' ? 'primary' : 'danger'} data-autofocus disabled={fetching} onClick={confirm}>
            {fetching ? 'Changing…' : 'Confirm'}
          </button>
        </div>
      </Dialog>
    </section>
  );
}
