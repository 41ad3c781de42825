// Audit (auditors, admins): the tenant's hash-chained audit log with filters (kept in the URL,
// so a filtered view can be linked) and paging, a check of the whole chain, and exports of
// requests and audit events with the current filters.

import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { useClient, useQuery } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { graphql } from '../gql';
import type { AuditVerification } from '../gql/graphql';
import { useSession } from '../session';
import { dateTime } from '../lib/format';
import {
  AUDIT_EVENT_TYPES,
  auditFilterFromQuery,
  auditFilterProblems,
  auditFilterToQuery,
  dataPreview,
  EMPTY_AUDIT_FILTER,
  pageRange,
  shortHash,
  toAuditFilter,
  type AuditFilterState,
} from '../lib/audit';
import { ErrorBox, Loading } from '../components/common';
import { ErrorNote } from '../components/admin/ErrorNote';
import { JsonDetails } from '../components/admin/Json';
import { ExportPanel } from '../components/admin/ExportPanel';
import '../components/admin/admin.css';

const AuditQuery = graphql(`
  query AdminAuditLog($filter: AuditFilter, $first: Int!, $after: String) {
    auditLog(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          seq
          id
          type
          at
          actor
          workflowKey
          requestId
          data
          prevHash
          hash
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const VerifyQuery = graphql(`
  query AdminVerifyAuditChain {
    verifyAuditChain {
      ok
      checked
      firstBrokenSeq
      headHash
    }
  }
`);

const WorkflowKeysQuery = graphql(`
  query AdminAuditWorkflowKeys {
    workflows {
      key
      name
    }
  }
`);

const PAGE_SIZES = [25, 50, 100, 200, 500];

export function Audit() {
  const { isOversight } = useSession();
  if (!isOversight) {
    return (
      <section class="admin">
        <h1>Audit</h1>
        <p class="notice" role="note">
          Only auditors and admins read the audit log.
        </p>
      </section>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const location = useLocation();
  const queryString = auditFilterToQuery(auditFilterFromQuery(location.query));
  const applied = auditFilterFromQuery(location.query);
  const [draft, setDraft] = useState<AuditFilterState>(applied);
  const [problems, setProblems] = useState<string[]>([]);
  const [pageSize, setPageSize] = useState(50);
  // Cursors of the pages before the current one (null for the first page), and the current one.
  const [cursors, setCursors] = useState<(string | null)[]>([]);
  const [after, setAfter] = useState<string | null>(null);
  const tableRef = useRef<HTMLTableElement>(null);

  // A new filter (form, link, back button) starts from its first page.
  useEffect(() => {
    setDraft(auditFilterFromQuery(location.query));
    setCursors([]);
    setAfter(null);
  }, [queryString]);

  const [workflows] = useQuery({ query: WorkflowKeysQuery });
  const [{ data, fetching, error }, refetch] = useQuery({
    query: AuditQuery,
    variables: { filter: toAuditFilter(applied), first: pageSize, after },
    requestPolicy: 'network-only',
  });

  const apply = (e: Event) => {
    e.preventDefault();
    const p = auditFilterProblems(draft);
    setProblems(p);
    if (p.length) return;
    const q = auditFilterToQuery(draft);
    if (q === queryString) refetch({ requestPolicy: 'network-only' });
    else location.route(`/audit${q ? `?${q}` : ''}`);
  };
  const clear = () => {
    setDraft(EMPTY_AUDIT_FILTER);
    setProblems([]);
    if (queryString) location.route('/audit');
  };

  const edges = data?.auditLog.edges ?? [];
  const pageInfo = data?.auditLog.pageInfo;
  const next = () => {
    if (!pageInfo?.endCursor) return;
    setCursors([...cursors, after]);
    setAfter(pageInfo.endCursor);
    tableRef.current?.focus();
  };
  const previous = () => {
    if (!cursors.length) return;
    setAfter(cursors[cursors.length - 1] ?? null);
    setCursors(cursors.slice(0, -1));
    tableRef.current?.focus();
  };
  const toggleType = (t: string, on: boolean) => setDraft({ ...draft, types: on ? [...draft.types, t] : draft.types.filter((x) => x !== t) });

  return (
    <section class="admin" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <p class="hint">Every change in the tenant, in order; each event's hash covers the one before it, so any edit to history breaks the chain.</p>

      <form class="panel" onSubmit={apply} noValidate aria-labelledby="audit-filter-title">
        <h2 id="audit-filter-title" style={{ marginTop: 0 }}>
          Filter
        </h2>
        <div class="fields">
          <div class="field">
            <label for="audit-workflow">Workflow</label>
            <select id="audit-workflow" value={draft.workflowKey} onChange={(e) => setDraft({ ...draft, workflowKey: e.currentTarget.value })}>
              <option value="">All workflows</option>
              {(workflows.data?.workflows ?? []).map((w) => (
                <option key={w.key} value={w.key}>
                  {w.key} — {w.name}
                </option>
              ))}
              {draft.workflowKey && !workflows.data?.workflows.some((w) => w.key === draft.workflowKey) && <option value={draft.workflowKey}>{draft.workflowKey}</option>}
            </select>
          </div>
          <div class="field">
            <label for="audit-request">Request id</label>
            <input id="audit-request" type="text" value={draft.requestId} placeholder="UUID" autoComplete="off" onInput={(e) => setDraft({ ...draft, requestId: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="audit-after-seq">After seq</label>
            <input id="audit-after-seq" type="number" min={0} step={1} inputMode="numeric" value={draft.afterSeq} onInput={(e) => setDraft({ ...draft, afterSeq: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="audit-page-size">Events per page</label>
            <select
              id="audit-page-size"
              value={pageSize}
              onChange={(e) => {
                setPageSize(Number(e.currentTarget.value));
                setCursors([]);
                setAfter(null);
              }}
            >
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
        </div>
        <details open={draft.types.length > 0}>
          <summary>
            Event types <span class="muted">({draft.types.length ? `${draft.types.length} chosen` : 'all'})</span>
          </summary>
          <fieldset>
            <legend>Event types</legend>
            <div class="checks">
              {AUDIT_EVENT_TYPES.map((t) => (
                <label key={t}>
                  <input type="checkbox" checked={draft.types.includes(t)} onChange={(e) => toggleType(t, e.currentTarget.checked)} />
                  {t}
                </label>
              ))}
            </div>
            <button type="button" class="link" onClick={() => setDraft({ ...draft, types: [] })}>
              All types
            </button>
          </fieldset>
        </details>
        {problems.length > 0 && (
          <div role="alert" class="alert">
            {problems.map((p) => (
              <div key={p}>{p}</div>
            ))}
          </div>
        )}
        <div class="actions start">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button type="button" onClick={clear}>
            Clear
          </button>
        </div>
      </form>

      <div class="split spaced">
        <VerifyPanel onShowFrom={(seq) => location.route(`/audit?${auditFilterToQuery({ ...EMPTY_AUDIT_FILTER, afterSeq: String(Math.max(0, seq - 1)) })}`)} />
        <ExportPanel audit={applied} />
      </div>

      <section class="panel" aria-labelledby="events-title">
        <h2 id="events-title">Events</h2>
        <ErrorBox error={error} />
        <Pager label="Audit pages (top)" range={data ? pageRange(edges.map((e) => e.node.seq)) : ''} page={cursors.length + 1} hasPrevious={cursors.length > 0} hasNext={!!pageInfo?.hasNextPage} busy={fetching} onPrevious={previous} onNext={next} />
        {fetching && !data && <Loading what="audit events" />}
        {data && edges.length === 0 && <p class="muted">No events match these filters.</p>}
        {edges.length > 0 && (
          <div class="table-wrap">
            <table class="responsive" data-testid="audit-events" tabIndex={-1} ref={tableRef} aria-busy={fetching}>
              <caption class="sr-only">
                Audit events, page {cursors.length + 1}, {pageRange(edges.map((e) => e.node.seq))}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Seq</th>
                  <th scope="col">Time</th>
                  <th scope="col">Type</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Workflow</th>
                  <th scope="col">Request</th>
                  <th scope="col">Data</th>
                  <th scope="col">Hash</th>
                </tr>
              </thead>
              <tbody>
                {edges.map(({ node: ev }) => (
                  <tr key={ev.id} data-testid="audit-event" data-seq={ev.seq} data-type={ev.type}>
                    <th scope="row" data-label="Seq" class="num">
                      {ev.seq}
                    </th>
                    <td data-label="Time" class="nowrap" title={ev.at}>
                      {dateTime(ev.at)}
                    </td>
                    <td data-label="Type">
                      <code>{ev.type}</code>
                    </td>
                    <td data-label="Actor" class="break">
                      {ev.actor}
                    </td>
                    <td data-label="Workflow">{ev.workflowKey ? <a href={`/workflows/${encodeURIComponent(ev.workflowKey)}`}>{ev.workflowKey}</a> : <span class="muted">—</span>}</td>
                    <td data-label="Request">
                      {ev.requestId ? (
                        <span>
                          <a href={`/requests/${ev.requestId}`} title={ev.requestId}>
                            <code>{ev.requestId.slice(0, 8)}…{ev.requestId.slice(-4)}</code>
                          </a>{' '}
                          <a href={`/audit?requestId=${ev.requestId}`} class="small" aria-label={`Only the events of request ${ev.requestId}`}>
                            (only this)
                          </a>
                        </span>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                    <td data-label="Data">
                      <JsonDetails value={ev.data} summary={dataPreview(ev.data)} label={`Data of event ${ev.seq}`} />
                    </td>
                    <td data-label="Hash">
                      <code class="hash" title={`hash ${ev.hash}\nprevious ${ev.prevHash}`}>
                        {shortHash(ev.hash)}
                      </code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {edges.length > 10 && (
          <Pager label="Audit pages (bottom)" range={pageRange(edges.map((e) => e.node.seq))} page={cursors.length + 1} hasPrevious={cursors.length > 0} hasNext={!!pageInfo?.hasNextPage} busy={fetching} onPrevious={previous} onNext={next} />
        )}
      </section>
    </section>
  );
}

function Pager(props: { label: string; range: string; page: number; hasPrevious: boolean; hasNext: boolean; busy: boolean; onPrevious: () => void; onNext: () => void }) {
  return (
    <nav class="pager" aria-label={props.label}>
      <span class="range small muted">
        {props.range ? `Page ${props.page} · ${props.range}` : ''}
      </span>
      <button type="button" disabled={!props.hasPrevious || props.busy} onClick={props.onPrevious}>
        Previous page
      </button>
      <button type="button" disabled={!props.hasNext || props.busy} onClick={props.onNext}>
        Next page
      </button>
    </nav>
  );
}

function VerifyPanel({ onShowFrom }: { onShowFrom: (seq: number) => void }) {
  const client = useClient();
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<{ v: AuditVerification; at: Date } | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const verify = async () => {
    setRunning(true);
    setError(null);
    const r = await client.query(VerifyQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    setRunning(false);
    if (r.error) setError(r.error);
    else if (r.data) setResult({ v: r.data.verifyAuditChain, at: new Date() });
  };
  const v = result?.v;
  return (
    <section class="panel" aria-labelledby="verify-title">
      <div class="row">
        <h2 id="verify-title" style={{ margin: 0 }}>
          Chain check
        </h2>
        <button type="button" class="primary" onClick={verify} disabled={running}>
          {running ? 'Verifying…' : 'Verify the chain'}
        </button>
      </div>
      <p class="hint">Recomputes every event's hash from the first one and compares it with the stored hash.</p>
      <div aria-live="polite" data-testid="verify-result">
        <ErrorNote error={error} />
        {v &&
          (v.ok ? (
            <div class="notice" data-ok="true">
              <strong>✓ Chain intact.</strong> {v.checked.toLocaleString('en-US')} events checked at {result.at.toLocaleTimeString()}.
              {v.headHash && (
                <div class="small break">
                  Head hash: <code class="hash head-hash">{v.headHash}</code>
                </div>
              )}
            </div>
          ) : (
            <div class="alert" role="alert" data-ok="false">
              <strong>✗ Chain broken</strong>
              {v.firstBrokenSeq !== null && v.firstBrokenSeq !== undefined ? (
                <>
                  {' '}
                  at seq <strong>{v.firstBrokenSeq}</strong>: its stored hash does not match, or its predecessor is missing. {v.checked.toLocaleString('en-US')} events checked.{' '}
                  <button type="button" class="link" onClick={() => onShowFrom(v.firstBrokenSeq ?? 1)}>
                    Show the events from seq {v.firstBrokenSeq}
                  </button>
                </>
              ) : (
                <> ({v.checked.toLocaleString('en-US')} events checked).</>
              )}
              {v.headHash && (
                <div class="small break">
                  Last verified hash: <code class="hash head-hash">{v.headHash}</code>
                </div>
              )}
            </div>
          ))}
      </div>
    </section>
  );
}
