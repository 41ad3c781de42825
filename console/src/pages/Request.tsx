// One request (/requests/:id): what the AI proposes and why, its flags, sources, steps, decisions
// and audit history, and the reviewer's decision (approve, edit then approve, reject).

import { useEffect, useRef, useState } from 'preact/hooks';
import { useClient, useQuery } from '@urql/preact';
import { useLocation, useRoute } from 'preact-iso';
import { graphql } from '../gql';
import { useSession } from '../session';
import { confidence, dateTime, money, prettyJson } from '../lib/format';
import { jsonDiff } from '../lib/diff';
import type { KeyCommand } from '../lib/keys';
import { neighbour, queueUrl } from '../lib/queue';
import { CONFLICT_EXPLANATION, describeEvent, safeUrl, sameJson, whyCannotDecide } from '../lib/review';
import { Diff, ErrorBox, Loading } from '../components/common';
import { Due, Flags, Status, useNow } from '../components/reviewer/Bits';
import { DecisionPanel, type DecideMode, type DecisionPanelHandle, type Detail } from '../components/reviewer/Decide';
import { KeyHelpDialog, KeyHint } from '../components/reviewer/KeyHelp';
import { useShortcuts } from '../components/reviewer/useShortcuts';
import '../components/reviewer/reviewer.css';

graphql(`
  fragment ReviewerRequestDetail on ApprovalRequest {
    id
    workflowKey
    policyVersion
    matchedRule
    route
    status
    version
    actionType
    title
    action
    finalAction
    finalActionHash
    editPatch
    recommendation
    confidence
    amount
    currency
    riskFlags
    exceptions
    duplicateOf
    sources {
      title
      url
      excerpt
    }
    context
    model
    promptVersion
    costUsd
    qaSampled
    qaVerdict
    qaReasonCode
    qaComment
    qaReviewedBy
    qaReviewedAt
    reasonCode
    steps {
      index
      role
      quorum
      approvals
      status
      openedAt
      dueAt
      escalatedTo
    }
    currentStep
    decisions {
      step
      actor
      decision
      reasonCode
      comment
      edited
      at
    }
    history {
      seq
      type
      at
      actor
      data
    }
    submittedBy
    submittedAt
    dueAt
    expiresAt
    decidedAt
    executedAt
    externalRef
    executionError
  }
`);

const RequestQuery = graphql(`
  query ReviewerRequest($id: ID!) {
    approvalRequest(id: $id) {
      ...ReviewerRequestDetail
    }
  }
`);

const QueueIdsQuery = graphql(`
  query ReviewerQueueIds {
    approvalQueue(first: 200) {
      totalCount
      edges {
        node {
          id
        }
      }
    }
  }
`);

export function RequestPage() {
  const { params } = useRoute();
  const id = params['id'] ?? '';
  return <RequestView key={id} id={id} />;
}

interface QueuePosition {
  ids: string[];
  total: number;
}

function RequestView({ id }: { id: string }) {
  const session = useSession();
  const client = useClient();
  const { query, route } = useLocation();
  const now = useNow();
  const [result, reexecute] = useQuery({ query: RequestQuery, variables: { id }, requestPolicy: 'cache-and-network' });
  const [latest, setLatest] = useState<Detail | null>(null);
  const fetched = result.data?.approvalRequest ?? null;
  // The newer of what the query and the last decision returned.
  const request = latest && (!fetched || latest.version >= fetched.version) ? latest : fetched;

  const initialMode = query['mode'] === 'edit' || query['mode'] === 'reject' ? (query['mode'] as DecideMode) : 'none';
  const [mode, setMode] = useState<DecideMode>('none');
  const [confirmOpen, setConfirmOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [done, setDone] = useState<{ what: 'APPROVE' | 'REJECT'; edited: boolean } | null>(null);
  const [position, setPosition] = useState<QueuePosition | null>(null);
  const [nextProblem, setNextProblem] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const panel = useRef<DecisionPanelHandle | null>(null);
  const nextButton = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  // The mode asked for in the URL (from the queue's e / r keys) applies once the request is here.
  const appliedInitial = useRef(false);
  useEffect(() => {
    if (!appliedInitial.current && request) {
      appliedInitial.current = true;
      if (request.status === 'PENDING' && initialMode !== 'none') setMode(initialMode);
      else heading.current?.focus();
    }
  }, [request]);

  const loadPosition = async (): Promise<QueuePosition | null> => {
    const r = await client.query(QueueIdsQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    if (!r.data) return null;
    const p = { ids: r.data.approvalQueue.edges.map((e) => e.node.id), total: r.data.approvalQueue.totalCount };
    setPosition(p);
    return p;
  };
  useEffect(() => {
    void loadPosition();
  }, [id]);

  const go = async (dir: 1 | -1) => {
    setNextProblem(null);
    const p = dir === 1 ? await loadPosition() : position;
    const target = p ? neighbour(p.ids, id, dir) : null;
    if (target) route(`/requests/${target}`);
    else setNextProblem(dir === 1 ? 'Your queue has nothing else waiting for you.' : 'This is the first request in your queue.');
  };

  const reload = () => reexecute({ requestPolicy: 'network-only' });
  const back = queueUrl();

  const pending = request?.status === 'PENDING';
  const onCommand = (command: KeyCommand) => {
    switch (command) {
      case 'down':
        void go(1);
        return;
      case 'up':
        void go(-1);
        return;
      case 'back':
        route(back);
        return;
      case 'help':
        setHelpOpen(true);
        return;
      case 'approve':
        if (!pending) return;
        if (mode === 'edit') panel.current?.focusConfirm();
        else setConfirmOpen(true);
        return;
      case 'edit':
        if (pending) setMode('edit');
        return;
      case 'reject':
        if (pending) setMode('reject');
        return;
      default:
        return;
    }
  };
  useShortcuts('item', onCommand);

  useEffect(() => {
    if (done) nextButton.current?.focus();
  }, [done]);

  if (!request) {
    return (
      <section>
        <p class="row rv-back">
          <a href={back}>← Back to queue</a>
        </p>
        <ErrorBox error={result.error} />
        {result.fetching ? (
          <Loading what="the request" />
        ) : (
          !result.error && (
            <div class="panel">
              <h1>Request not found</h1>
              <p>There is no request {id} that you may see. It may belong to a workflow none of your roles reviews.</p>
            </div>
          )
        )}
      </section>
    );
  }

  const at = position ? position.ids.indexOf(id) : -1;
  const cannot = pending ? whyCannotDecide(request, session.me) : null;
  const edited = !sameJson(request.action, request.finalAction);

  return (
    <section class="rv-request" aria-labelledby="request-title">
      <p class="row rv-back">
        <a href={back}>← Back to queue</a>
        <span class="muted small">
          {position && at >= 0
            ? `Request ${at + 1} of ${position.total} in your queue`
            : position && position.ids.length >= position.total
              ? 'Not in your queue'
              : ''}
        </span>
        <KeyHint onOpen={() => setHelpOpen(true)} />
      </p>
      <header class="rv-request-head">
        <h1 id="request-title" class="rv-focus-target" tabIndex={-1} ref={heading}>
          {request.title}
        </h1>
        <p>
          Status: <Status status={request.status} testId="request-status" /> · <span class="muted">Workflow</span>{' '}
          <a href={`/workflows/${request.workflowKey}`}>{request.workflowKey}</a> · <span class="muted">Action</span> <code>{request.actionType}</code>
        </p>
        <p class="muted small">
          Submitted by {request.submittedBy} on {dateTime(request.submittedAt)} · id <code>{request.id}</code>
        </p>
      </header>
      <ErrorBox error={result.error} />

      {done && (
        <div class="notice" role="status" data-testid="decision-done">
          <p style={{ margin: 0 }}>
            {done.what === 'REJECT' ? 'You rejected this request.' : done.edited ? 'You approved this request with your edited action.' : 'You approved this request.'}{' '}
            It is now <strong>{request.status}</strong>
            {request.status === 'PENDING' ? ` (step ${(request.currentStep ?? 0) + 1} of ${request.steps.length} now waits for its approvers)` : ''}.
          </p>
          <div class="row rv-actions">
            <button type="button" class="primary" ref={nextButton} onClick={() => void go(1)}>
              Next in queue
            </button>
            <a href={back}>Back to queue</a>
          </div>
        </div>
      )}
      {conflict !== null && (
        <div role="alert" class="alert" data-testid="conflict">
          <p style={{ margin: 0 }}>
            <strong>The request changed.</strong> {CONFLICT_EXPLANATION} It is now{' '}
            <strong>{request.status}</strong>.
          </p>
          {conflict && (
            <p class="small" style={{ margin: '0.25rem 0 0' }}>
              Server: {conflict} (CONFLICT)
            </p>
          )}
          <div class="row rv-actions">
            <button type="button" onClick={() => setConflict(null)}>
              Dismiss
            </button>
          </div>
        </div>
      )}
      {nextProblem && (
        <p class="warn" role="status">
          {nextProblem} <a href={back}>Back to queue</a>
        </p>
      )}

      <div class="rv-columns">
        <div>
          <section class="panel" aria-labelledby="rec-h">
            <h2 id="rec-h">The AI's recommendation</h2>
            {request.recommendation ? <p class="rv-recommendation">{request.recommendation}</p> : <p class="muted">The agent gave no reasoning.</p>}
            <dl class="facts">
              <dt>Amount</dt>
              <dd>{money(request.amount, request.currency)}</dd>
              <dt>Confidence</dt>
              <dd>{confidence(request.confidence)}</dd>
              <dt>Model</dt>
              <dd>{request.model ?? '—'}</dd>
              <dt>Prompt version</dt>
              <dd>{request.promptVersion ?? '—'}</dd>
              <dt>AI cost</dt>
              <dd>{request.costUsd ? `USD ${request.costUsd}` : '—'}</dd>
              <dt>Route</dt>
              <dd>
                {request.route} by {request.matchedRule ? `rule ${request.matchedRule}` : 'the default'} (policy version {request.policyVersion})
              </dd>
            </dl>
          </section>

          <section class="panel" aria-labelledby="flags-h">
            <h2 id="flags-h">Risk flags and exceptions</h2>
            <Flags riskFlags={request.riskFlags} exceptions={request.exceptions} duplicateOf={request.duplicateOf} empty="No risk flags, no exceptions." />
            {request.duplicateOf && (
              <p class="small">
                This looks like a duplicate of <a href={`/requests/${request.duplicateOf}`}>an earlier request ({request.duplicateOf})</a>.
              </p>
            )}
          </section>

          <section class="panel" aria-labelledby="action-h">
            <h2 id="action-h">Proposed action</h2>
            <pre tabIndex={0} aria-label="The action as the AI drafted it">
              {prettyJson(request.action)}
            </pre>
            {edited && (
              <>
                <h3>As it stands now (edited by a reviewer)</h3>
                <Diff lines={jsonDiff(request.action, request.finalAction)} label="Edits to the AI's draft" />
              </>
            )}
            {request.context !== null && request.context !== undefined && (
              <details>
                <summary>Context given at submission</summary>
                <pre tabIndex={0}>{prettyJson(request.context)}</pre>
              </details>
            )}
          </section>

          <section class="panel" aria-labelledby="sources-h">
            <h2 id="sources-h">Sources</h2>
            {request.sources.length === 0 ? (
              <p class="muted">The AI cited no sources.</p>
            ) : (
              <ol class="rv-sources">
                {request.sources.map((s, i) => {
                  const href = safeUrl(s.url);
                  return (
                    <li key={i}>
                      {href ? (
                        <a href={href} target="_blank" rel="noopener noreferrer">
                          {s.title}
                          <span class="sr-only"> (opens in a new tab)</span>
                        </a>
                      ) : (
                        <strong>{s.title}</strong>
                      )}
                      {s.url && !href && <span class="muted small"> ({s.url}, not a web link)</span>}
                      {s.excerpt && <blockquote>{s.excerpt}</blockquote>}
                    </li>
                  );
                })}
              </ol>
            )}
          </section>
        </div>

        <div>
          {pending ? (
            <DecisionPanel
              request={request}
              cannot={cannot}
              mode={mode}
              setMode={setMode}
              confirmOpen={confirmOpen}
              setConfirmOpen={setConfirmOpen}
              handle={panel}
              onDecided={(r, what, wasEdited) => {
                setConflict(null);
                setLatest(r);
                setDone({ what, edited: wasEdited });
                reload();
                void loadPosition();
              }}
              onConflict={(message) => {
                setConflict(message);
                setLatest(null);
                reload();
                void loadPosition();
              }}
            />
          ) : (
            !done && (
              <section class="panel" aria-labelledby="closed-h">
                <h2 id="closed-h">Nothing to decide</h2>
                <p>
                  This request is <strong>{request.status}</strong>
                  {request.decidedAt ? ` since ${dateTime(request.decidedAt)}` : ''}
                  {request.reasonCode ? ` (reason ${request.reasonCode})` : ''}.
                </p>
                <button type="button" onClick={() => void go(1)}>
                  Next in queue
                </button>
              </section>
            )
          )}

          <section class="panel" aria-labelledby="timing-h">
            <h2 id="timing-h">Timing</h2>
            <dl class="facts">
              <dt>Due</dt>
              <dd>{pending ? <Due at={request.dueAt} now={now} /> : '—'}</dd>
              <dt>Expires</dt>
              <dd>{pending && request.expiresAt ? dateTime(request.expiresAt) : '—'}</dd>
              <dt>Decided</dt>
              <dd>{dateTime(request.decidedAt)}</dd>
              {request.executedAt && (
                <>
                  <dt>Executed</dt>
                  <dd>
                    {dateTime(request.executedAt)}
                    {request.externalRef ? ` (${request.externalRef})` : ''}
                  </dd>
                </>
              )}
              {request.executionError && (
                <>
                  <dt>Execution error</dt>
                  <dd>{request.executionError}</dd>
                </>
              )}
            </dl>
          </section>

          <section class="panel" aria-labelledby="steps-h">
            <h2 id="steps-h">Approval steps</h2>
            {request.steps.length === 0 ? (
              <p class="muted">No human steps: the policy routed it {request.route}.</p>
            ) : (
              <table class="responsive">
                <thead>
                  <tr>
                    <th scope="col">Step</th>
                    <th scope="col">Role</th>
                    <th scope="col">Approvals</th>
                    <th scope="col">Status</th>
                    <th scope="col">Due</th>
                  </tr>
                </thead>
                <tbody>
                  {request.steps.map((s) => (
                    <tr key={s.index}>
                      <td data-label="Step">{s.index + 1}</td>
                      <td data-label="Role">
                        <div>
                          {s.role}
                          {s.escalatedTo && <div class="small">escalated to {s.escalatedTo}</div>}
                        </div>
                      </td>
                      <td data-label="Approvals">
                        <div>
                          {s.approvals} of {s.quorum} needed
                        </div>
                      </td>
                      <td data-label="Status">
                        <div>
                          {s.status}
                          {s.openedAt && <div class="muted small">opened {dateTime(s.openedAt)}</div>}
                        </div>
                      </td>
                      <td data-label="Due">{s.status === 'OPEN' ? <Due at={s.dueAt} now={now} /> : s.dueAt ? dateTime(s.dueAt) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          <section class="panel" aria-labelledby="decisions-h">
            <h2 id="decisions-h">Decisions</h2>
            {request.decisions.length === 0 ? (
              <p class="muted">No one has decided yet.</p>
            ) : (
              <table class="responsive">
                <thead>
                  <tr>
                    <th scope="col">Who</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Reason and comment</th>
                    <th scope="col">When</th>
                  </tr>
                </thead>
                <tbody>
                  {request.decisions.map((d, i) => (
                    <tr key={i}>
                      <td data-label="Who">
                        <div>
                          {d.actor}
                          {d.step !== null && d.step !== undefined && <div class="muted small">step {d.step + 1}</div>}
                        </div>
                      </td>
                      <td data-label="Decision">
                        <div>
                          {d.decision}
                          {d.edited && <div class="small">with an edited action</div>}
                        </div>
                      </td>
                      <td data-label="Reason">
                        <div>
                          {d.reasonCode && <code>{d.reasonCode}</code>} {d.comment ?? (!d.reasonCode && <span class="muted">—</span>)}
                        </div>
                      </td>
                      <td data-label="When">{dateTime(d.at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          {request.qaSampled && (
            <section class="panel" aria-labelledby="qa-h">
              <h2 id="qa-h">QA sample</h2>
              {request.qaVerdict ? (
                <p>
                  Verdict <strong>{request.qaVerdict}</strong>
                  {request.qaReasonCode ? <> (reason <code>{request.qaReasonCode}</code>)</> : ''} by {request.qaReviewedBy ?? 'someone'} on{' '}
                  {dateTime(request.qaReviewedAt)}
                  {request.qaComment ? `: “${request.qaComment}”` : '.'}
                </p>
              ) : (
                <p>
                  Picked for QA; no verdict yet. <a href="/qa">Open the QA queue</a>
                </p>
              )}
            </section>
          )}
        </div>
      </div>

      <section class="panel rv-history" aria-labelledby="history-h">
        <h2 id="history-h">History</h2>
        <table class="responsive">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {request.history.map((e) => (
              <tr key={e.seq}>
                <td data-label="When">
                  <time dateTime={e.at}>{dateTime(e.at)}</time>
                </td>
                <td data-label="Who">{e.actor}</td>
                <td data-label="What">
                  <div>
                    {describeEvent(e)} <span class="muted small">({e.type})</span>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <KeyHelpDialog scope="item" open={helpOpen} onClose={() => setHelpOpen(false)} />
    </section>
  );
}
