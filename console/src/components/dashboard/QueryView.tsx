// The query page (in place of GraphiQL, which needed a CDN): write an operation, its variables
// and optionally which operation to run; it goes out with the signed-in credential through the
// console's own client (query, mutation or — over the WebSocket — subscription). The schema's
// root fields, a few examples and the last 20 queries (sessionStorage, never the credential)
// are at hand.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import type { OperationResult } from '@urql/core';
import { graphql } from '../../gql';
import type { QueryPageSchemaQuery } from '../../gql/graphql';
import { ErrorBox, Loading } from '../common';
import './query.css';
import { useSession } from '../../session';
import { dateTime } from '../../lib/format';
import {
  addToHistory, asksForTypename, errorJson, errorLine, historyTitle, loadHistory, operations, parseVariables, pickOperation,
  saveHistory, stripTypename, typeText, withOperationFirst, type HistoryEntry, type OperationKind, type TypeRef,
} from '../../lib/operation';

graphql(`
  fragment QueryPageTypeRef on __Type {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
          }
        }
      }
    }
  }
`);

graphql(`
  fragment QueryPageRoot on __Type {
    name
    fields {
      name
      description
      args {
        name
        description
        defaultValue
        type {
          ...QueryPageTypeRef
        }
      }
      type {
        ...QueryPageTypeRef
      }
    }
  }
`);

const SchemaQuery = graphql(`
  query QueryPageSchema {
    __schema {
      queryType {
        ...QueryPageRoot
      }
      mutationType {
        ...QueryPageRoot
      }
      subscriptionType {
        ...QueryPageRoot
      }
    }
  }
`);

interface Example {
  label: string;
  query: string;
  variables: string;
}

const EXAMPLES: Example[] = [
  {
    label: 'me',
    query: `# Who am I? The credential's subject, tenant and roles.
query Me {
  me {
    subject
    tenant
    roles
  }
}
`,
    variables: '',
  },
  {
    label: 'approvalQueue',
    query: `# What I may decide now, oldest due first.
query Queue($workflowKey: String, $first: Int!) {
  approvalQueue(workflowKey: $workflowKey, first: $first) {
    totalCount
    edges {
      node {
        id
        workflowKey
        title
        status
        amount
        currency
        confidence
        dueAt
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`,
    variables: '{\n  "workflowKey": null,\n  "first": 5\n}',
  },
  {
    label: 'analytics',
    query: `# ROI figures (auditor, admin): see docs/analytics.md.
query Analytics($filter: AnalyticsFilter) {
  analytics(filter: $filter) {
    totals {
      submitted
      autoApproved
      humanApproved
      rejected
    }
    autoApprovalRate
    cycleTime {
      p50Seconds
      p90Seconds
    }
    cost {
      aiCostUsd
      reviewCostUsd
      totalCostUsd
    }
    roi {
      hoursSaved
      valueSavedUsd
      netValueUsd
      roi
    }
    series {
      bucketStart
      submitted
    }
  }
}
`,
    variables: '{\n  "filter": {\n    "granularity": "WEEK"\n  }\n}',
  },
];

interface Outcome {
  kind: OperationKind;
  /** Milliseconds until the answer (the first event, for a subscription). */
  ms: number;
  /** The response as JSON text. */
  text: string;
  errors: string[];
  network?: string;
  /** Subscription events received so far. */
  events?: number;
}

const MAX_EVENTS = 20;

/** The query page itself (loaded on first visit by pages/Query.tsx). */
export function QueryView() {
  const { client } = useSession();
  const first = useMemo(() => loadHistory(sessionStorage)[0], []);
  const [query, setQuery] = useState(first?.query ?? (EXAMPLES[0] as Example).query);
  const [variables, setVariables] = useState(first?.variables ?? '');
  const [operationName, setOperationName] = useState(first?.operationName ?? '');
  const [history, setHistory] = useState<HistoryEntry[]>(() => loadHistory(sessionStorage));
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [running, setRunning] = useState<OperationKind | null>(null);
  const subscription = useRef<{ unsubscribe: () => void } | null>(null);
  const responseRef = useRef<HTMLDivElement>(null);
  const queryRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => () => subscription.current?.unsubscribe(), []);

  const names = useMemo(
    () => operations(query).map((o) => o.name).filter((n): n is string => !!n),
    [query],
  );

  const stop = () => {
    subscription.current?.unsubscribe();
    subscription.current = null;
    setRunning(null);
  };

  const remember = () => {
    const next = addToHistory(history, { query, variables, operationName: operationName.trim(), at: new Date().toISOString() });
    setHistory(next);
    saveHistory(sessionStorage, next);
  };

  const show = (kind: OperationKind, started: number, result: OperationResult, events?: unknown[], received?: number) => {
    // Over the WebSocket, an operation's errors arrive as the "network" error: a list of GraphQL errors.
    const failure = result.error?.networkError as unknown;
    const listed = Array.isArray(failure) ? (failure as unknown[]) : [];
    const network = failure && !Array.isArray(failure) ? (failure instanceof Error ? failure.message : String(failure)) : undefined;
    const errors = [...(result.error?.graphQLErrors ?? []), ...listed].map(errorJson);
    const keepTypename = asksForTypename(query);
    const data = result.data === undefined ? null : keepTypename ? result.data : stripTypename(result.data);
    const body: Record<string, unknown> = {};
    if (errors.length) body['errors'] = errors;
    body['data'] = data;
    if (result.extensions) body['extensions'] = result.extensions;
    const text = events ? JSON.stringify(events.map((e) => (keepTypename ? e : stripTypename(e))), null, 2) : JSON.stringify(body, null, 2);
    setOutcome({
      kind,
      ms: Math.round(performance.now() - started),
      text,
      errors: errors.map(errorLine),
      ...(network ? { network } : {}),
      ...(events ? { events: received ?? events.length } : {}),
    });
  };

  const run = async () => {
    if (running === 'query' || running === 'mutation') return;
    stop();
    setProblem(null);
    const refuse = (why: string) => {
      setProblem(why);
      setOutcome(null);
    };
    const picked = pickOperation(query, operationName);
    if (picked.error !== undefined) return refuse(picked.error);
    const vars = parseVariables(variables);
    if (vars.error !== undefined) return refuse(vars.error);
    const doc = withOperationFirst(query, picked.op);
    const kind = picked.op.kind;
    remember();
    const started = performance.now();
    setRunning(kind);
    try {
      if (kind === 'subscription') {
        const events: unknown[] = [];
        let received = 0;
        let latest: OperationResult | null = null;
        let timer: ReturnType<typeof setTimeout> | null = null;
        // A replay can bring thousands of events at once: redraw at most every 250 ms.
        const flush = () => {
          timer = null;
          if (latest) show(kind, started, latest, [...events], received);
        };
        setOutcome({ kind, ms: 0, text: '', errors: [], events: 0 });
        const sub = client.subscription(doc, vars.value).subscribe((result) => {
          if (result.error) {
            latest = null;
            if (timer) clearTimeout(timer);
            show(kind, started, result);
            stop();
            return;
          }
          received++;
          events.unshift({ event: received, data: result.data });
          if (events.length > MAX_EVENTS) events.length = MAX_EVENTS;
          latest = result;
          timer ??= setTimeout(flush, 250);
        });
        subscription.current = {
          unsubscribe: () => {
            sub.unsubscribe();
            if (timer) clearTimeout(timer);
            flush();
          },
        };
        return;
      }
      const source = kind === 'mutation' ? client.mutation(doc, vars.value) : client.query(doc, vars.value, { requestPolicy: 'network-only' });
      const result = await source.toPromise();
      show(kind, started, result);
    } catch (e) {
      // The client parses the document before sending: a syntax error lands here.
      setProblem(e instanceof Error ? e.message : String(e));
      setOutcome(null);
    } finally {
      if (kind !== 'subscription') setRunning(null);
    }
    responseRef.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    }
  };

  const load = (entry: { query: string; variables: string; operationName?: string }) => {
    setQuery(entry.query);
    setVariables(entry.variables);
    setOperationName(entry.operationName ?? '');
    setProblem(null);
    queryRef.current?.focus();
  };

  const clearHistory = () => {
    setHistory([]);
    saveHistory(sessionStorage, []);
  };

  const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

  return (
    <section class="qp">
      <h1>Query</h1>
      <div class="qp-layout">
        <div class="qp-main">
          <form
            class="panel qp-editor"
            aria-label="GraphQL operation"
            onSubmit={(e) => {
              e.preventDefault();
              void run();
            }}
            onKeyDown={onKeyDown}
          >
            <div class="row qp-examples" role="group" aria-labelledby="qp-examples-label">
              <span id="qp-examples-label" class="muted small">
                Examples:
              </span>
              {EXAMPLES.map((ex) => (
                <button type="button" key={ex.label} onClick={() => load(ex)} aria-label={`Load the ${ex.label} example`}>
                  {ex.label}
                </button>
              ))}
            </div>
            <label for="qp-query">Query</label>
            <textarea
              id="qp-query"
              ref={queryRef}
              class="code"
              rows={16}
              spellcheck={false}
              autocapitalize="off"
              autocomplete="off"
              value={query}
              onInput={(e) => setQuery(e.currentTarget.value)}
            />
            <div class="qp-second">
              <div>
                <label for="qp-variables">Variables (JSON)</label>
                <textarea
                  id="qp-variables"
                  class="code"
                  rows={4}
                  spellcheck={false}
                  autocapitalize="off"
                  autocomplete="off"
                  placeholder='{"first": 10}'
                  value={variables}
                  onInput={(e) => setVariables(e.currentTarget.value)}
                />
              </div>
              <div>
                <label for="qp-opname">Operation name (optional)</label>
                <input
                  id="qp-opname"
                  list="qp-opnames"
                  autocapitalize="off"
                  autocomplete="off"
                  spellcheck={false}
                  value={operationName}
                  onInput={(e) => setOperationName(e.currentTarget.value)}
                  aria-describedby="qp-opname-hint"
                />
                <datalist id="qp-opnames">
                  {names.map((n) => (
                    <option key={n} value={n} />
                  ))}
                </datalist>
                <p id="qp-opname-hint" class="muted small">
                  Needed when the document holds several operations.
                </p>
              </div>
            </div>
            <div class="row">
              <button type="submit" class="primary" disabled={running === 'query' || running === 'mutation'}>
                Run
              </button>
              {running === 'subscription' && (
                <button type="button" onClick={stop}>
                  Stop subscription
                </button>
              )}
              <span class="muted small">
                or <kbd class="kbd">{isMac ? '⌘' : 'Ctrl'}</kbd>+<kbd class="kbd">Enter</kbd>
              </span>
            </div>
            {problem && (
              <p class="alert" role="alert">
                {problem}
              </p>
            )}
          </form>

          <h2 id="qp-response-h">Response</h2>
          <div class="qp-status" role="status">
            {running === 'query' || running === 'mutation' ? (
              <span aria-busy="true">Running the {running}…</span>
            ) : outcome ? (
              <span>
                <span class="badge">{outcome.kind}</span>{' '}
                {outcome.kind === 'subscription'
                  ? `${outcome.events ?? 0} event${outcome.events === 1 ? '' : 's'} received (newest first, the last ${MAX_EVENTS} shown)${running ? ', listening…' : ', stopped'}`
                  : `${outcome.ms} ms · ${outcome.errors.length ? `${outcome.errors.length} error${outcome.errors.length === 1 ? '' : 's'}` : 'no errors'}`}
              </span>
            ) : (
              <span class="muted">Nothing run yet.</span>
            )}
          </div>
          {outcome && (outcome.errors.length > 0 || outcome.network) && (
            <div class="alert qp-errors" role="alert">
              <strong>{outcome.network ? 'The request failed' : `The server answered with ${outcome.errors.length === 1 ? 'an error' : 'errors'}`}</strong>
              <ul>
                {outcome.network && <li>{outcome.network}</li>}
                {outcome.errors.map((e, i) => (
                  <li key={i}>{e}</li>
                ))}
              </ul>
            </div>
          )}
          <div ref={responseRef} tabIndex={-1} aria-labelledby="qp-response-h" class="qp-response-wrap">
            {outcome?.text ? (
              <pre class={`qp-response${outcome.errors.length || outcome.network ? ' has-errors' : ''}`} data-testid="query-response">
                {outcome.text}
              </pre>
            ) : null}
          </div>
          {outcome && !asksForTypename(query) && outcome.text && (
            <p class="muted small">The console's client adds __typename to every selection; it is left out here unless the query asks for it.</p>
          )}

          <h2 id="qp-history-h">History</h2>
          {history.length === 0 ? (
            <p class="muted">The queries you run are kept here (this tab only, at most 20).</p>
          ) : (
            <>
              <ol class="qp-history" aria-labelledby="qp-history-h">
                {history.map((h, i) => (
                  <li key={`${h.at}-${i}`}>
                    <button type="button" class="link" onClick={() => load(h)}>
                      {historyTitle(h)}
                    </button>{' '}
                    <span class="muted small">{dateTime(h.at)}</span>
                  </li>
                ))}
              </ol>
              <button type="button" onClick={clearHistory}>
                Clear history
              </button>
            </>
          )}
        </div>
        <SchemaPanel />
      </div>
    </section>
  );
}

type Root = NonNullable<QueryPageSchemaQuery['__schema']['mutationType']>;
type Field = NonNullable<Root['fields']>[number];

function signature(f: Field): string {
  const args = f.args.map((a) => `${a.name}: ${typeText(a.type as TypeRef)}${a.defaultValue ? ` = ${a.defaultValue}` : ''}`);
  return `${f.name}${args.length ? `(${args.join(', ')})` : ''}: ${typeText(f.type as TypeRef)}`;
}

function SchemaPanel() {
  const [{ data, fetching, error }] = useQuery({ query: SchemaQuery });
  const [find, setFind] = useState('');
  const needle = find.trim().toLowerCase();
  const roots: [string, Root | null | undefined, boolean][] = data
    ? [
        ['Queries', data.__schema.queryType, true],
        ['Mutations', data.__schema.mutationType, false],
        ['Subscriptions', data.__schema.subscriptionType, false],
      ]
    : [];
  return (
    <aside class="qp-schema panel" aria-labelledby="qp-schema-h">
      <h2 id="qp-schema-h">Schema</h2>
      <label for="qp-find">Find a field</label>
      <input id="qp-find" type="search" value={find} onInput={(e) => setFind(e.currentTarget.value)} autocomplete="off" />
      <ErrorBox error={error} />
      {fetching && !data && <Loading what="the schema" />}
      {roots.map(([title, root, open]) => {
        if (!root) return null;
        const fields = (root.fields ?? []).filter(
          (f) => !needle || f.name.toLowerCase().includes(needle) || (f.description ?? '').toLowerCase().includes(needle),
        );
        return (
          <details key={title} open={open || !!needle}>
            <summary>
              {title} <span class="muted">({fields.length})</span>
            </summary>
            <ul class="qp-fields">
              {fields.map((f) => (
                <li key={f.name}>
                  <code>{signature(f)}</code>
                  {f.description && <p>{f.description}</p>}
                </li>
              ))}
            </ul>
          </details>
        );
      })}
    </aside>
  );
}
