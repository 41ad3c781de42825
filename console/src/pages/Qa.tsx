// QA sampling (/qa): auto-approved requests picked for review whose QA role the signed-in person
// holds (the server lists only those), each with a CORRECT / INCORRECT verdict (a reason code is
// required for INCORRECT).

import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { useClient, useMutation, useQuery } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { useLocation } from 'preact-iso';
import { graphql } from '../gql';
import type { ReviewerSampleQueueQuery } from '../gql/graphql';
import { useSession } from '../session';
import { confidence, dateTime, money, prettyJson } from '../lib/format';
import { mergePage, reasonCodeProblem } from '../lib/queue';
import { ErrorBox, Loading } from '../components/common';
import { Flags } from '../components/reviewer/Bits';
import { ReasonCodeField } from '../components/reviewer/ReasonCodeField';
import '../components/reviewer/reviewer.css';

const PAGE = 25;

const SampleQueueQuery = graphql(`
  query ReviewerSampleQueue($workflowKey: String, $first: Int!, $after: String) {
    sampleQueue(workflowKey: $workflowKey, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          title
          workflowKey
          actionType
          matchedRule
          amount
          currency
          confidence
          riskFlags
          exceptions
          duplicateOf
          recommendation
          finalAction
          model
          promptVersion
          submittedBy
          submittedAt
          decidedAt
        }
      }
    }
  }
`);

const QaWorkflowsQuery = graphql(`
  query ReviewerQaWorkflows {
    workflows {
      key
      name
    }
  }
`);

const ReviewSampleMutation = graphql(`
  mutation ReviewerReviewSample($id: ID!, $verdict: SampleVerdict!, $reasonCode: String, $comment: String) {
    reviewSample(id: $id, verdict: $verdict, reasonCode: $reasonCode, comment: $comment) {
      id
      qaVerdict
      qaReasonCode
      qaReviewedBy
      qaReviewedAt
    }
  }
`);

type Sample = ReviewerSampleQueueQuery['sampleQueue']['edges'][number]['node'];

interface Loaded {
  items: Sample[];
  total: number;
  endCursor: string | null;
  hasNext: boolean;
}

export function Qa() {
  const session = useSession();
  const client = useClient();
  const { query, route } = useLocation();
  const workflowKey = query['workflow'] || null;
  const [workflows] = useQuery({ query: QaWorkflowsQuery });
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState(false);
  const [reviewed, setReviewed] = useState<Record<string, string>>({});
  const generation = useRef(0);

  const load = useCallback(
    async (after: string | null) => {
      const mine = ++generation.current;
      setBusy(true);
      const r = await client.query(SampleQueueQuery, { workflowKey, first: PAGE, after }, { requestPolicy: 'network-only' }).toPromise();
      if (mine !== generation.current) return;
      setBusy(false);
      if (!r.data) {
        setError(r.error ?? null);
        return;
      }
      setError(null);
      const page = r.data.sampleQueue;
      const incoming = page.edges.map((e) => e.node);
      setLoaded((prev) => ({
        items: after && prev ? mergePage(prev.items, incoming) : incoming,
        total: page.totalCount,
        endCursor: page.pageInfo.endCursor ?? null,
        hasNext: page.pageInfo.hasNextPage,
      }));
    },
    [client, workflowKey],
  );

  useEffect(() => {
    setLoaded(null);
    setReviewed({});
    void load(null);
  }, [load]);

  const workflowName = (key: string) => workflows.data?.workflows.find((w) => w.key === key)?.name ?? key;
  const items = loaded?.items ?? [];
  const open = loaded ? loaded.total - Object.keys(reviewed).length : 0;

  return (
    <section aria-labelledby="qa-heading">
      <div class="row rv-head">
        <h1 id="qa-heading">QA samples</h1>
        {loaded && (
          <p class="rv-count">
            <strong data-testid="qa-count">{Math.max(open, 0)}</strong> waiting for your verdict
          </p>
        )}
      </div>
      <p class="muted small rv-intro">
        Some automatic approvals are picked at random for a second look. Judge whether the automatic approval was right: <strong>Correct</strong>, or{' '}
        <strong>Incorrect</strong> with a reason code (it counts as an error for the workflow's guardrails).
      </p>
      <div class="row rv-toolbar">
        <div class="rv-filter">
          <label for="qa-workflow">Workflow</label>
          <select
            id="qa-workflow"
            value={workflowKey ?? ''}
            onChange={(e) => {
              const key = (e.target as HTMLSelectElement).value;
              route(key ? `/qa?workflow=${encodeURIComponent(key)}` : '/qa', true);
            }}
          >
            <option value="">All workflows</option>
            {(workflows.data?.workflows ?? []).map((w) => (
              <option key={w.key} value={w.key}>
                {w.name} ({w.key})
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={() => void load(null).then(() => setReviewed({}))} disabled={busy}>
          Refresh
        </button>
      </div>
      <ErrorBox error={error} />
      {!loaded && !error && <Loading what="the QA samples" />}
      {loaded && items.length === 0 && (
        <div class="panel rv-empty">
          <h2>No samples are waiting for you{workflowKey ? ` in ${workflowName(workflowKey)}` : ''}.</h2>
          <p>
            This list shows automatically approved requests that a policy picked for QA and that still have no verdict, for the workflows whose QA role
            you hold (your roles: {session.me.roles.join(', ') || 'none'}). Requests you submitted yourself are not listed, since you may not review
            them. If you expected samples here, ask an administrator which role reviews them (the policy's <code>sampleRole</code>).
          </p>
        </div>
      )}
      <div class="rv-cards">
        {items.map((s) => (
          <SampleCard key={s.id} sample={s} workflowName={workflowName(s.workflowKey)} verdict={reviewed[s.id] ?? null} onReviewed={(v) => setReviewed((r) => ({ ...r, [s.id]: v }))} />
        ))}
      </div>
      {loaded && items.length > 0 && (
        <div class="row rv-more">
          <span class="muted small">
            Showing {items.length} of {loaded.total}
          </span>
          {loaded.hasNext && (
            <button type="button" disabled={busy} onClick={() => void load(loaded.endCursor)}>
              {busy ? 'Loading…' : 'Load more'}
            </button>
          )}
        </div>
      )}
    </section>
  );
}

function SampleCard(props: { sample: Sample; workflowName: string; verdict: string | null; onReviewed: (verdict: string) => void }) {
  const { sample } = props;
  const ids = useId();
  const [verdict, setVerdict] = useState<'CORRECT' | 'INCORRECT' | null>(null);
  const [code, setCode] = useState('');
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [state, review] = useMutation(ReviewSampleMutation);
  const codeRef = useRef<HTMLInputElement>(null);
  const done = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (props.verdict) done.current?.focus();
  }, [props.verdict]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!verdict) {
      setProblem('Choose Correct or Incorrect first.');
      return;
    }
    if (verdict === 'INCORRECT') {
      const p = reasonCodeProblem(code);
      if (p) {
        setProblem(p);
        codeRef.current?.focus();
        return;
      }
    }
    setProblem(null);
    const r = await review({
      id: sample.id,
      verdict,
      reasonCode: verdict === 'INCORRECT' ? code.trim() : null,
      comment: comment.trim() ? comment.trim() : null,
    });
    if (r.data) props.onReviewed(r.data.reviewSample.qaVerdict ?? verdict);
  };

  return (
    <article class="panel rv-qa-card" aria-labelledby={`${ids}-t`} data-testid="qa-sample" data-id={sample.id}>
      <h2 id={`${ids}-t`}>
        <a href={`/requests/${sample.id}`}>{sample.title}</a>
      </h2>
      <p class="muted small" style={{ margin: '0 0 0.5rem' }}>
        {props.workflowName} · <code>{sample.actionType}</code> · approved automatically {sample.matchedRule ? `by rule ${sample.matchedRule}` : ''} on{' '}
        {dateTime(sample.decidedAt ?? sample.submittedAt)} · submitted by {sample.submittedBy}
      </p>
      <dl class="facts">
        <dt>Amount</dt>
        <dd>{money(sample.amount, sample.currency)}</dd>
        <dt>Confidence</dt>
        <dd>{confidence(sample.confidence)}</dd>
        <dt>Recommendation</dt>
        <dd>{sample.recommendation ?? <span class="muted">none given</span>}</dd>
        <dt>Flags</dt>
        <dd>
          <Flags riskFlags={sample.riskFlags} exceptions={sample.exceptions} duplicateOf={sample.duplicateOf} />
        </dd>
        <dt>Model</dt>
        <dd>
          {sample.model ?? '—'} {sample.promptVersion ? `(prompt ${sample.promptVersion})` : ''}
        </dd>
      </dl>
      <details>
        <summary>Approved action</summary>
        <pre tabIndex={0}>{prettyJson(sample.finalAction)}</pre>
      </details>
      {props.verdict ? (
        <p class="notice" role="status" tabIndex={-1} ref={done}>
          <span aria-hidden="true">✓ </span>Verdict recorded: <strong>{props.verdict}</strong>.
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          <fieldset>
            <legend>Was the automatic approval right?</legend>
            <div class="rv-radios">
              <label class="inline">
                <input type="radio" name={`${ids}-v`} value="CORRECT" checked={verdict === 'CORRECT'} onChange={() => { setVerdict('CORRECT'); setProblem(null); }} />
                Correct
              </label>
              <label class="inline">
                <input
                  type="radio"
                  name={`${ids}-v`}
                  value="INCORRECT"
                  checked={verdict === 'INCORRECT'}
                  onChange={() => {
                    setVerdict('INCORRECT');
                    setProblem(null);
                  }}
                />
                Incorrect
              </label>
            </div>
            {verdict === 'INCORRECT' && (
              <ReasonCodeField workflowKey={sample.workflowKey} value={code} onInput={(v) => { setCode(v); setProblem(null); }} inputRef={codeRef} />
            )}
            <label for={`${ids}-c`}>Comment (optional)</label>
            <textarea id={`${ids}-c`} rows={2} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
          </fieldset>
          {problem && (
            <p role="alert" class="alert">
              {problem}
            </p>
          )}
          <ErrorBox error={state.error} />
          <button type="submit" class="primary" disabled={state.fetching}>
            {state.fetching ? 'Recording…' : 'Record verdict'}
          </button>
        </form>
      )}
    </article>
  );
}
