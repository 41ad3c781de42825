// Try a candidate policy without storing anything (admins, auditors): a backtest over the
// requests of a date range (how routing would change) and a simulation of one hand-written
// action (route, rule, steps, exceptions).

import { useEffect, useMemo, useState } from 'preact/hooks';
import { useClient } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { graphql } from '../../gql';
import type { AdminBacktestPolicyQuery, AdminSimulatePolicyQuery, SubmitActionInput } from '../../gql/graphql';
import { defaultCandidate, editableJson, exampleAction, fromLocalInput, lastDays, parseActionInput, parsePolicy, type RequestSample } from '../../lib/policy';
import { Figure } from '../common';
import { ErrorNote, Problem } from './ErrorNote';
import type { Documents, PolicyVersionInfo } from './types';

const Backtest = graphql(`
  query AdminBacktestPolicy($key: String!, $policy: JSON!, $from: DateTime, $to: DateTime, $maxChanges: Int!) {
    backtestPolicy(workflowKey: $key, policy: $policy, from: $from, to: $to, maxChanges: $maxChanges) {
      total
      wouldAuto
      wouldHuman
      wouldReject
      changed
      changesTruncated
      changes {
        requestId
        was
        wouldBe
        matchedRule
      }
    }
  }
`);

const Simulate = graphql(`
  query AdminSimulatePolicy($key: String!, $policy: JSON, $actions: [SubmitActionInput!]!) {
    simulatePolicy(workflowKey: $key, policy: $policy, actions: $actions) {
      route
      matchedRule
      steps
      exceptions
      riskFlags
      reasonCode
    }
  }
`);

type BacktestReport = AdminBacktestPolicyQuery['backtestPolicy'];
type RouteDecision = AdminSimulatePolicyQuery['simulatePolicy'][number];

const CUSTOM = 'custom';

export function TryPolicy(props: { workflowKey: string; versions: PolicyVersionInfo[]; documents: Documents; sample: RequestSample | null; sampleLoaded: boolean }) {
  const client = useClient();
  const candidate = defaultCandidate(props.versions);
  const [source, setSource] = useState<string>(candidate ? String(candidate.version) : CUSTOM);
  const [policyText, setPolicyText] = useState('');
  const docsReady = props.documents !== null;

  // Load the chosen version's document (once documents arrive, and when the choice changes).
  useEffect(() => {
    if (source === CUSTOM || !props.documents) return;
    const doc = props.documents.get(Number(source));
    if (doc !== undefined) setPolicyText(editableJson(doc));
  }, [source, props.documents]);
  // A new proposal becomes the default candidate.
  useEffect(() => {
    if (candidate && source !== CUSTOM) setSource(String(candidate.version));
  }, [candidate?.version]);

  const policy = parsePolicy(policyText);

  // Backtest.
  const range = useMemo(() => lastDays(7), []);
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const [maxChanges, setMaxChanges] = useState('200');
  const [btProblem, setBtProblem] = useState<string | null>(null);
  const [btError, setBtError] = useState<CombinedError | null>(null);
  const [btRunning, setBtRunning] = useState(false);
  const [report, setReport] = useState<{ data: BacktestReport; label: string } | null>(null);

  const backtest = async (e: Event) => {
    e.preventDefault();
    setBtError(null);
    if (!policy.ok) {
      setBtProblem(`The candidate policy: ${policy.error}`);
      return;
    }
    const fromIso = fromLocalInput(from);
    const toIso = fromLocalInput(to);
    const max = Number(maxChanges);
    if (from && !fromIso) return setBtProblem('"From" is not a date and time.');
    if (to && !toIso) return setBtProblem('"To" is not a date and time.');
    if (fromIso && toIso && fromIso >= toIso) return setBtProblem('"From" must be before "To".');
    if (!Number.isInteger(max) || max < 0 || max > 10000) return setBtProblem('"Changes to list" must be a whole number from 0 to 10,000.');
    setBtProblem(null);
    setBtRunning(true);
    const result = await client
      .query(Backtest, { key: props.workflowKey, policy: policy.value, from: fromIso, to: toIso, maxChanges: max }, { requestPolicy: 'network-only' })
      .toPromise();
    setBtRunning(false);
    if (result.error) {
      setBtError(result.error);
      setReport(null);
      return;
    }
    if (result.data) setReport({ data: result.data.backtestPolicy, label: `${source === CUSTOM ? 'the edited policy' : `v${source}`}, ${from.replace('T', ' ')} to ${to.replace('T', ' ')}` });
  };

  // Simulation.
  const example = useMemo(() => JSON.stringify(exampleAction(props.workflowKey, props.sample, `simulation-${props.workflowKey}`), null, 2), [props.workflowKey, props.sample]);
  const [actionText, setActionText] = useState(example);
  const [actionDirty, setActionDirty] = useState(false);
  useEffect(() => {
    if (!actionDirty) setActionText(example);
  }, [example]);
  const [simProblem, setSimProblem] = useState<string | null>(null);
  const [simError, setSimError] = useState<CombinedError | null>(null);
  const [simRunning, setSimRunning] = useState(false);
  const [decision, setDecision] = useState<RouteDecision | null>(null);

  const simulate = async (e: Event) => {
    e.preventDefault();
    setSimError(null);
    if (!policy.ok) return setSimProblem(`The candidate policy: ${policy.error}`);
    const action = parseActionInput(actionText);
    if (!action.ok) return setSimProblem(`The action: ${action.error}`);
    setSimProblem(null);
    setSimRunning(true);
    const result = await client
      .query(Simulate, { key: props.workflowKey, policy: policy.value, actions: [action.value as SubmitActionInput] }, { requestPolicy: 'network-only' })
      .toPromise();
    setSimRunning(false);
    if (result.error) {
      setSimError(result.error);
      setDecision(null);
      return;
    }
    setDecision(result.data?.simulatePolicy[0] ?? null);
  };

  return (
    <section class="panel" aria-labelledby="try-title">
      <h2 id="try-title">Try a policy</h2>
      <p class="hint">Backtest and simulation store nothing and ignore the workflow's mode.</p>
      <div class="fields">
        <div class="field">
          <label for="candidate-source">Candidate</label>
          <select id="candidate-source" value={source} onChange={(e) => setSource(e.currentTarget.value)}>
            {[...props.versions].reverse().map((v) => (
              <option key={v.version} value={String(v.version)}>
                v{v.version} ({v.status})
              </option>
            ))}
            <option value={CUSTOM}>Edited by hand</option>
          </select>
        </div>
      </div>
      <label for="candidate-policy">Candidate policy (JSON)</label>
      <textarea
        id="candidate-policy"
        class="code short"
        spellcheck={false}
        value={policyText}
        aria-invalid={!policy.ok && policyText !== ''}
        aria-describedby="candidate-status"
        onInput={(e) => {
          setPolicyText(e.currentTarget.value);
          setSource(CUSTOM);
        }}
      />
      <p id="candidate-status" class="hint">
        {!docsReady ? 'Loading the policy documents…' : policy.ok ? 'Valid JSON.' : policy.error}
      </p>

      <div class="split">
        <form onSubmit={backtest} noValidate aria-labelledby="backtest-title">
          <h3 id="backtest-title">Backtest</h3>
          <p class="hint">Replays the stored requests submitted in [from, to) through the candidate: how their routes would change.</p>
          <div class="fields">
            <div class="field">
              <label for="bt-from">From</label>
              <input id="bt-from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="bt-to">To</label>
              <input id="bt-to" type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="bt-max">Changes to list</label>
              <input id="bt-max" type="number" min={0} max={10000} step={1} value={maxChanges} onInput={(e) => setMaxChanges(e.currentTarget.value)} />
            </div>
          </div>
          <Problem text={btProblem} />
          <ErrorNote error={btError} />
          <div class="actions start">
            <button type="submit" class="primary" disabled={btRunning || !docsReady}>
              {btRunning ? 'Running…' : 'Run backtest'}
            </button>
          </div>
          <div aria-live="polite">{report && <BacktestResult report={report.data} label={report.label} />}</div>
        </form>

        <form onSubmit={simulate} noValidate aria-labelledby="simulate-title">
          <h3 id="simulate-title">Simulate one action</h3>
          <label for="sim-action">Action (JSON)</label>
          <p class="hint" id="sim-help">
            A SubmitActionInput; {props.sample ? 'prefilled from the latest request of this workflow' : props.sampleLoaded ? 'an example (this workflow has no requests yet)' : 'loading an example…'}.
          </p>
          <textarea
            id="sim-action"
            class="code short"
            spellcheck={false}
            value={actionText}
            aria-describedby="sim-help"
            onInput={(e) => {
              setActionText(e.currentTarget.value);
              setActionDirty(true);
            }}
          />
          <Problem text={simProblem} />
          <ErrorNote error={simError} />
          <div class="actions start">
            <button type="submit" class="primary" disabled={simRunning || !docsReady}>
              {simRunning ? 'Simulating…' : 'Simulate'}
            </button>
            <button
              type="button"
              disabled={!actionDirty}
              onClick={() => {
                setActionText(example);
                setActionDirty(false);
              }}
            >
              Reset the example
            </button>
          </div>
          <div aria-live="polite">{decision && <DecisionResult decision={decision} />}</div>
        </form>
      </div>
    </section>
  );
}

function BacktestResult({ report, label }: { report: BacktestReport; label: string }) {
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    <div data-testid="backtest-result">
      <h4 class="small muted">Result for {label}</h4>
      <div class="figures">
        <Figure label="Replayed" value={n(report.total)} how="Stored requests submitted in the range." />
        <Figure label="Would auto" value={n(report.wouldAuto)} how="Requests the candidate would route AUTO (after safety overrides)." />
        <Figure label="Would human" value={n(report.wouldHuman)} how="Requests the candidate would send to people." />
        <Figure label="Would reject" value={n(report.wouldReject)} how="Requests the candidate would reject at once." />
        <Figure label="Changed" value={n(report.changed)} how="Requests whose route under the candidate differs from the route they got." testId="backtest-changed" />
      </div>
      {report.changes.length > 0 ? (
        <div class="table-wrap">
          <table class="responsive">
            <caption>
              Requests whose route would change{report.changesTruncated ? ` (the first ${n(report.changes.length)} of ${n(report.changed)})` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Was</th>
                <th scope="col">Would be</th>
                <th scope="col">Rule</th>
              </tr>
            </thead>
            <tbody>
              {report.changes.map((c) => (
                <tr key={c.requestId} data-testid="backtest-change">
                  <td data-label="Request" class="break">
                    <a href={`/requests/${c.requestId}`}>
                      <code>{c.requestId}</code>
                    </a>
                  </td>
                  <td data-label="Was">
                    <span class={`badge route-${c.was}`}>{c.was}</span>
                  </td>
                  <td data-label="Would be">
                    <span class={`badge route-${c.wouldBe}`}>{c.wouldBe}</span>
                  </td>
                  <td data-label="Rule">{c.matchedRule ?? <span class="muted">default</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">{report.changed === 0 ? 'No request would change route.' : 'Changes not listed (Changes to list is 0).'}</p>
      )}
    </div>
  );
}

function DecisionResult({ decision }: { decision: RouteDecision }) {
  const list = (xs: string[], empty: string) => (xs.length ? xs.map((x) => <span key={x} class="badge exception">{x}</span>) : <span class="muted">{empty}</span>);
  return (
    <div data-testid="simulation-result">
      <h4 class="small muted">Result</h4>
      <dl class="facts">
        <dt>Route</dt>
        <dd>
          <span class={`badge route-${decision.route}`} data-testid="simulated-route">
            {decision.route}
          </span>
        </dd>
        <dt>Matched rule</dt>
        <dd>{decision.matchedRule ?? <span class="muted">none (the default applied)</span>}</dd>
        <dt>Steps</dt>
        <dd>{decision.steps.length ? decision.steps.map((s, i) => <span key={i}>{i > 0 ? ' → ' : ''}{s}</span>) : <span class="muted">none</span>}</dd>
        <dt>Exceptions</dt>
        <dd class="row">{list(decision.exceptions, 'none')}</dd>
        <dt>Risk flags</dt>
        <dd class="row">{decision.riskFlags.length ? decision.riskFlags.map((f) => <span key={f} class="badge risk">{f}</span>) : <span class="muted">none</span>}</dd>
        {decision.reasonCode && (
          <>
            <dt>Reason code</dt>
            <dd>
              <code>{decision.reasonCode}</code>
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}
