// The reviewer's queue: what the signed-in person may decide now, oldest due first (the server's
// order), paged with "Load more", kept current by the live audit events, with keyboard shortcuts,
// a workflow filter and batch decisions.

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useClient, useMutation, useQuery, useSubscription } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { useLocation } from 'preact-iso';
import { graphql } from '../gql';
import type { ReviewerQueueQuery } from '../gql/graphql';
import { useSession } from '../session';
import { confidence, money } from '../lib/format';
import { moveCursor, type KeyCommand } from '../lib/keys';
import {
  affectsQueue,
  batchInputs,
  keepListed,
  mergePage,
  noteEvent,
  NO_ARRIVALS,
  refetchSize,
  rememberQueueUrl,
  toggleAll,
  toggleSelected,
  type ArrivalState,
  type Selected,
  type Selection,
} from '../lib/queue';
import { ErrorBox, Loading } from '../components/common';
import { Due, Flags, useNow } from '../components/reviewer/Bits';
import { ApproveDialog, BatchResults, DecideManyMutation, RejectDialog, type BatchOutcome } from '../components/reviewer/Batch';
import { KeyHelpDialog, KeyHint } from '../components/reviewer/KeyHelp';
import { useShortcuts } from '../components/reviewer/useShortcuts';
import '../components/reviewer/reviewer.css';

const PAGE = 50;

const QueueQuery = graphql(`
  query ReviewerQueue($workflowKey: String, $first: Int!, $after: String) {
    approvalQueue(workflowKey: $workflowKey, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          version
          title
          workflowKey
          actionType
          amount
          currency
          confidence
          riskFlags
          exceptions
          duplicateOf
          dueAt
          submittedAt
          currentStep
          steps {
            index
            role
            quorum
            approvals
            status
          }
        }
      }
    }
  }
`);

const WorkflowsQuery = graphql(`
  query ReviewerWorkflows {
    workflows {
      key
      name
    }
  }
`);

const EventsSubscription = graphql(`
  subscription ReviewerQueueEvents($workflowKey: String, $afterSeq: Int) {
    approvalEvents(workflowKey: $workflowKey, afterSeq: $afterSeq) {
      seq
      type
      actor
      workflowKey
      requestId
      data
    }
  }
`);

type Item = ReviewerQueueQuery['approvalQueue']['edges'][number]['node'];

interface Loaded {
  items: Item[];
  total: number;
  endCursor: string | null;
  hasNext: boolean;
}

const selectedOf = (i: Item): Selected => ({ id: i.id, title: i.title, version: i.version });

export function Queue() {
  const session = useSession();
  const client = useClient();
  const { query, route } = useLocation();
  const workflowKey = query['workflow'] || null;
  const now = useNow();
  useEffect(() => rememberQueueUrl(workflowKey ? `/?workflow=${encodeURIComponent(workflowKey)}` : '/'), [workflowKey]);

  const [workflows] = useQuery({ query: WorkflowsQuery });
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState<'reload' | 'more' | null>(null);
  const [arrivals, setArrivals] = useState<ArrivalState>(NO_ARRIVALS);
  const [resumeAfter, setResumeAfter] = useState<number | null>(null);
  const [cursorId, setCursorId] = useState<string | null>(null);
  const [selection, setSelection] = useState<Selection>({});
  const generation = useRef(0);
  const loadedCount = useRef(0);

  // ---- loading -------------------------------------------------------------------------------
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setBusy('reload');
    const result = await client
      .query(QueueQuery, { workflowKey, first: refetchSize(loadedCount.current, PAGE), after: null }, { requestPolicy: 'network-only' })
      .toPromise();
    if (mine !== generation.current) return;
    setBusy(null);
    if (result.error || !result.data) {
      setError(result.error ?? null);
      return;
    }
    const page = result.data.approvalQueue;
    const items = page.edges.map((e) => e.node);
    loadedCount.current = items.length;
    setError(null);
    setLoaded({ items, total: page.totalCount, endCursor: page.pageInfo.endCursor ?? null, hasNext: page.pageInfo.hasNextPage });
    setSelection((s) => keepListed(s, items.map((i) => i.id)));
  }, [client, workflowKey]);

  const loadMore = async () => {
    if (!loaded?.endCursor) return;
    const mine = ++generation.current;
    setBusy('more');
    const result = await client
      .query(QueueQuery, { workflowKey, first: PAGE, after: loaded.endCursor }, { requestPolicy: 'network-only' })
      .toPromise();
    if (mine !== generation.current) return;
    setBusy(null);
    if (result.error || !result.data) {
      setError(result.error ?? null);
      return;
    }
    const page = result.data.approvalQueue;
    setLoaded((prev) => {
      const items = mergePage(prev?.items ?? [], page.edges.map((e) => e.node));
      loadedCount.current = items.length;
      return { items, total: page.totalCount, endCursor: page.pageInfo.endCursor ?? null, hasNext: page.pageInfo.hasNextPage };
    });
    setError(null);
  };

  // A new filter is a new page: start from one page, no arrivals, no selection.
  useEffect(() => {
    loadedCount.current = 0;
    setLoaded(null);
    setArrivals(NO_ARRIVALS);
    setSelection({});
    setCursorId(null);
    setResumeAfter(null);
    void reload();
  }, [reload]);

  // ---- live events ---------------------------------------------------------------------------
  const lastSeq = useRef<number | null>(null);
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const scheduleRefetch = useCallback(() => {
    if (refetchTimer.current) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = null;
      void reload();
    }, 400);
  }, [reload]);
  useEffect(
    () => () => {
      if (refetchTimer.current) clearTimeout(refetchTimer.current);
      refetchTimer.current = null;
    },
    [reload],
  );
  const me = useMemo(() => ({ subject: session.me.subject, roles: session.me.roles }), [session]);
  const [live, restartLive] = useSubscription(
    { query: EventsSubscription, variables: { workflowKey, afterSeq: resumeAfter } },
    (_prev: number | undefined, data) => {
      const e = data.approvalEvents;
      lastSeq.current = e.seq;
      if (affectsQueue(e.type)) {
        setArrivals((s) => noteEvent(s, e, me));
        scheduleRefetch();
      }
      return e.seq;
    },
  );
  // The server ends a subscription that fell behind (or on shutdown): resume after the last event seen.
  const wasLive = useRef(false);
  useEffect(() => {
    if (live.fetching) {
      wasLive.current = true;
      return undefined;
    }
    if (!wasLive.current) return undefined;
    wasLive.current = false;
    const t = setTimeout(() => {
      if (lastSeq.current !== null && lastSeq.current !== resumeAfter) setResumeAfter(lastSeq.current);
      else restartLive();
      scheduleRefetch();
    }, 1000);
    return () => clearTimeout(t);
  }, [live.fetching]);

  // ---- cursor, selection, dialogs --------------------------------------------------------------
  const items = loaded?.items ?? [];
  const lastCursorIndex = useRef(-1);
  let cursor = cursorId === null ? -1 : items.findIndex((i) => i.id === cursorId);
  if (cursor < 0 && cursorId !== null && items.length > 0) cursor = Math.min(Math.max(lastCursorIndex.current, 0), items.length - 1);
  lastCursorIndex.current = cursor;
  const cursorItem = cursor >= 0 ? items[cursor] : undefined;
  const focusCursor = useRef(false);
  const rowLinks = useRef(new Map<string, HTMLAnchorElement>());
  useEffect(() => {
    if (!focusCursor.current || !cursorItem) return;
    focusCursor.current = false;
    rowLinks.current.get(cursorItem.id)?.focus();
  }, [cursorItem?.id]);

  const selected = Object.values(selection);
  const [helpOpen, setHelpOpen] = useState(false);
  const [approveItems, setApproveItems] = useState<Selected[] | null>(null);
  const [rejectItems, setRejectItems] = useState<Selected[] | null>(null);
  const [hint, setHint] = useState<string | null>(null);

  // ---- batch decisions -----------------------------------------------------------------------
  const [decideState, decideMany] = useMutation(DecideManyMutation);
  const [outcome, setOutcome] = useState<BatchOutcome | null>(null);
  const runBatch = async (decision: 'APPROVE' | 'REJECT', targets: readonly Selected[], reasonCode?: string, comment?: string) => {
    if (targets.length === 0) return;
    const result = await decideMany({ inputs: batchInputs(targets, decision, reasonCode, comment) });
    setApproveItems(null);
    setRejectItems(null);
    if (result.data) {
      const titles = new Map(targets.map((t) => [t.id, t.title]));
      setOutcome({
        decision,
        results: result.data.decideMany.map((r) => ({
          requestId: r.requestId,
          title: titles.get(r.requestId) ?? r.requestId,
          status: r.request?.status ?? null,
          error: r.error ? { code: r.error.code, message: r.error.message } : null,
        })),
      });
      setSelection((s) => {
        const next: Record<string, Selected> = { ...s };
        for (const t of targets) delete next[t.id];
        return next;
      });
    }
    void reload();
  };
  const targets = (): Selected[] => (selected.length > 0 ? selected : cursorItem ? [selectedOf(cursorItem)] : []);
  const rejectWorkflow = (list: readonly Selected[]): string | null => {
    const keys = new Set(list.map((s) => items.find((i) => i.id === s.id)?.workflowKey ?? workflowKey));
    return keys.size === 1 ? ([...keys][0] ?? null) : null;
  };

  // ---- keyboard ------------------------------------------------------------------------------
  const onCommand = (command: KeyCommand) => {
    setHint(null);
    switch (command) {
      case 'down':
      case 'up': {
        const next = moveCursor(cursor, command === 'down' ? 1 : -1, items.length);
        const item = items[next];
        if (item) {
          focusCursor.current = true;
          setCursorId(item.id);
          if (item.id === cursorItem?.id) rowLinks.current.get(item.id)?.focus();
        }
        return;
      }
      case 'open':
        if (cursorItem) route(`/requests/${cursorItem.id}`);
        else setHint('Move the cursor to a request first (j / k).');
        return;
      case 'select':
        if (cursorItem) setSelection((s) => toggleSelected(s, selectedOf(cursorItem)));
        else setHint('Move the cursor to a request first (j / k).');
        return;
      case 'approve': {
        const t = targets();
        if (t.length > 0) setApproveItems(t);
        else setHint('Select requests (x) or move the cursor to one (j / k) first.');
        return;
      }
      case 'reject':
        if (selected.length > 0) setRejectItems(selected);
        else if (cursorItem) route(`/requests/${cursorItem.id}?mode=reject`);
        else setHint('Select requests (x) or move the cursor to one (j / k) first.');
        return;
      case 'edit':
        if (cursorItem) route(`/requests/${cursorItem.id}?mode=edit`);
        else setHint('Move the cursor to a request first (j / k).');
        return;
      case 'help':
        setHelpOpen(true);
        return;
      case 'back':
        return;
    }
  };
  useShortcuts('queue', onCommand);

  // ---- rendering -----------------------------------------------------------------------------
  const workflowName = (key: string) => workflows.data?.workflows.find((w) => w.key === key)?.name ?? key;
  const allShownSelected = items.length > 0 && items.every((i) => selection[i.id]);
  const decidingBusy = decideState.fetching;

  return (
    <section class="rv-queue" aria-labelledby="queue-heading">
      <div class="row rv-head">
        <h1 id="queue-heading">Queue</h1>
        <p class="rv-count">
          {loaded ? (
            <>
              <strong data-testid="queue-count">{loaded.total}</strong> waiting for your decision
              {workflowKey ? ` in ${workflowName(workflowKey)}` : ''}
            </>
          ) : (
            <span class="muted">Counting…</span>
          )}
        </p>
        <div role="status" class="rv-live-region">
          {arrivals.arrived.length > 0 && (
            <span class="row rv-new">
              <span class="badge new" data-testid="new-badge">
                {arrivals.arrived.length} new
              </span>
              <span class="sr-only">
                {arrivals.arrived.length === 1 ? 'request arrived' : 'requests arrived'} since you opened the queue
              </span>
              <button type="button" class="link small" onClick={() => setArrivals(NO_ARRIVALS)}>
                Mark seen
              </button>
            </span>
          )}
        </div>
        <span class="small muted rv-live" title="New requests appear without reloading the page">
          <span aria-hidden="true">{live.fetching ? '● ' : '○ '}</span>
          {live.fetching ? 'Live' : live.error ? 'Live updates interrupted; reconnecting…' : 'Connecting…'}
        </span>
        <KeyHint onOpen={() => setHelpOpen(true)} />
      </div>
      <p class="muted small rv-intro">
        Oldest due first. A request appears here when a step opens for one of your roles, and leaves when it is decided, expires or is
        cancelled.
      </p>

      <div class="row rv-toolbar">
        <div class="rv-filter">
          <label for="queue-workflow">Workflow</label>
          <select
            id="queue-workflow"
            value={workflowKey ?? ''}
            onChange={(e) => {
              const key = (e.target as HTMLSelectElement).value;
              route(key ? `/?workflow=${encodeURIComponent(key)}` : '/', true);
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
        <div class="row rv-batchbar" role="group" aria-label="Selected requests">
          <span class="small" aria-live="polite">
            {selected.length} selected
          </span>
          <button type="button" class="primary" disabled={selected.length === 0 || decidingBusy} onClick={() => void runBatch('APPROVE', selected)}>
            Approve selected
          </button>
          <button type="button" disabled={selected.length === 0 || decidingBusy} onClick={() => setRejectItems(selected)}>
            Reject selected
          </button>
          {selected.length > 0 && (
            <button type="button" class="link small" onClick={() => setSelection({})}>
              Clear selection
            </button>
          )}
          <button type="button" onClick={() => void reload()} disabled={busy !== null}>
            Refresh
          </button>
        </div>
      </div>

      {hint && (
        <p class="warn" role="status">
          {hint}
        </p>
      )}
      <ErrorBox error={decideState.error} />
      {outcome && <BatchResults outcome={outcome} onDismiss={() => setOutcome(null)} />}
      <ErrorBox error={error} />
      {workflows.error && <ErrorBox error={workflows.error} />}

      {!loaded && !error && <Loading what="your queue" />}
      {loaded && items.length === 0 && (
        <div class="panel rv-empty">
          <h2>Nothing is waiting for you{workflowKey ? ` in ${workflowName(workflowKey)}` : ''}.</h2>
          <p>
            The queue lists pending requests whose open step needs a role you hold, that you did not submit and have not already decided. New ones
            appear here on their own, without reloading.
          </p>
          {workflowKey && (
            <p>
              <a href="/">Show all workflows</a>
            </p>
          )}
        </div>
      )}
      {items.length > 0 && (
        <table class="responsive rv-table">
          <caption class="sr-only">Requests waiting for your decision, oldest due first</caption>
          <thead>
            <tr>
              <th scope="col" class="rv-check">
                <label class="sr-only" for="queue-select-all">
                  Select all shown
                </label>
                <input
                  id="queue-select-all"
                  type="checkbox"
                  checked={allShownSelected}
                  onChange={() => setSelection((s) => toggleAll(s, items.map(selectedOf)))}
                />
              </th>
              <th scope="col">Request</th>
              <th scope="col">Workflow</th>
              <th scope="col" class="num">
                Amount
              </th>
              <th scope="col" class="num">
                Confidence
              </th>
              <th scope="col">Risk flags and exceptions</th>
              <th scope="col">Due</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item, index) => {
              const isCursor = index === cursor;
              const isSelected = Boolean(selection[item.id]);
              const isNew = arrivals.arrived.includes(item.id);
              const step = item.steps.find((s) => s.status === 'OPEN');
              const checkId = `sel-${item.id}`;
              return (
                <tr
                  key={item.id}
                  data-testid="queue-row"
                  data-id={item.id}
                  class={`${isCursor ? 'cursor' : ''} ${isSelected ? 'selected' : ''}`}
                  aria-current={isCursor ? 'true' : undefined}
                  onClick={(e) => {
                    const tag = (e.target as HTMLElement).tagName;
                    if (tag !== 'A' && tag !== 'INPUT' && tag !== 'LABEL') setCursorId(item.id);
                  }}
                >
                  <td data-label="Select" class="rv-check">
                    <label class="sr-only" for={checkId}>
                      Select {item.title}
                    </label>
                    <input
                      id={checkId}
                      type="checkbox"
                      checked={isSelected}
                      onChange={() => {
                        setCursorId(item.id);
                        setSelection((s) => toggleSelected(s, selectedOf(item)));
                      }}
                    />
                  </td>
                  <td data-label="Request" class="rv-title">
                    <div>
                      <span class="rv-cursor-mark" aria-hidden="true">
                        {isCursor ? '▶' : ''}
                      </span>
                      <a
                        href={`/requests/${item.id}`}
                        ref={(el) => {
                          if (el) rowLinks.current.set(item.id, el);
                          else rowLinks.current.delete(item.id);
                        }}
                        onFocus={() => setCursorId(item.id)}
                      >
                        {item.title}
                      </a>
                      {isNew && (
                        <>
                          {' '}
                          <span class="badge new">New</span>
                        </>
                      )}
                      <div class="muted small rv-sub">{item.actionType}</div>
                    </div>
                  </td>
                  <td data-label="Workflow">
                    <div>
                      {workflowName(item.workflowKey)}
                      {step && (
                        <div class="muted small">
                          Step {step.index + 1} of {item.steps.length} · {step.role}
                          {step.quorum > 1 ? ` · ${step.approvals}/${step.quorum} approvals` : ''}
                        </div>
                      )}
                    </div>
                  </td>
                  <td data-label="Amount" class="num">
                    {money(item.amount, item.currency)}
                  </td>
                  <td data-label="Confidence" class="num">
                    {confidence(item.confidence)}
                  </td>
                  <td data-label="Flags">
                    <Flags riskFlags={item.riskFlags} exceptions={item.exceptions} duplicateOf={item.duplicateOf} />
                  </td>
                  <td data-label="Due">
                    <Due at={item.dueAt} now={now} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {loaded && items.length > 0 && (
        <div class="row rv-more">
          <span class="muted small">
            Showing {items.length} of {loaded.total}
          </span>
          {loaded.hasNext && (
            <button type="button" onClick={() => void loadMore()} disabled={busy !== null}>
              {busy === 'more' ? 'Loading…' : 'Load more'}
            </button>
          )}
        </div>
      )}

      <KeyHelpDialog scope="queue" open={helpOpen} onClose={() => setHelpOpen(false)} />
      <ApproveDialog
        items={approveItems}
        busy={decidingBusy}
        onClose={() => setApproveItems(null)}
        onConfirm={() => approveItems && void runBatch('APPROVE', approveItems)}
      />
      <RejectDialog
        items={rejectItems}
        workflowKey={rejectItems ? rejectWorkflow(rejectItems) : null}
        busy={decidingBusy}
        onClose={() => setRejectItems(null)}
        onConfirm={(code, comment) => rejectItems && void runBatch('REJECT', rejectItems, code, comment)}
      />
    </section>
  );
}
