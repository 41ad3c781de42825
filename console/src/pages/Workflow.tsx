// One workflow (/workflows/:key): its mode and kill switch, the active policy document, the
// versions with a diff between any two, proposing / activating / declining / rolling back
// (admins), and trying a candidate policy by backtest and simulation (admins, auditors).

import { useMemo } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { useQuery } from '@urql/preact';
import { graphql } from '../gql';
import { useSession } from '../session';
import { errorCode } from '../lib/client';
import { dateTime } from '../lib/format';
import { withoutNulls } from '../lib/policy';
import { ErrorBox, Loading } from '../components/common';
import { ModePanel } from '../components/admin/ModePanel';
import { PolicyVersions } from '../components/admin/PolicyVersions';
import { PolicyDiff } from '../components/admin/PolicyDiff';
import { ProposePolicy } from '../components/admin/ProposePolicy';
import { TryPolicy } from '../components/admin/TryPolicy';
import { JsonBlock } from '../components/admin/Json';
import type { Documents } from '../components/admin/types';
import '../components/admin/admin.css';

const WorkflowQuery = graphql(`
  query AdminWorkflow($key: String!) {
    workflow(key: $key) {
      key
      name
      description
      mode
      modeReason
      executionWebhookUrl
      executionWebhookMaxAttempts
      createdAt
      activePolicy {
        version
        status
        note
        proposedBy
        activatedBy
        createdAt
        activatedAt
        statusReason
      }
      policies {
        version
        status
        note
        proposedBy
        activatedBy
        createdAt
        activatedAt
        statusReason
      }
    }
  }
`);

// Separate: documents are for admins and auditors only, and an error on them must not hide the rest.
const DocumentsQuery = graphql(`
  query AdminWorkflowPolicyDocuments($key: String!) {
    workflow(key: $key) {
      key
      policies {
        version
        document
      }
    }
  }
`);

const SampleQuery = graphql(`
  query AdminWorkflowSampleRequest($key: String!) {
    approvalRequests(filter: { workflowKey: $key }, first: 1) {
      edges {
        node {
          id
          actionType
          title
          action
          recommendation
          confidence
          amount
          currency
          riskFlags
          context
          model
          promptVersion
          costUsd
        }
      }
    }
  }
`);

export function WorkflowPage() {
  const { params } = useRoute();
  const key = params['key'] ?? '';
  const session = useSession();
  const { isAdmin, isOversight } = session;

  const [wf, refetchWorkflow] = useQuery({ query: WorkflowQuery, variables: { key } });
  const [docs, refetchDocs] = useQuery({ query: DocumentsQuery, variables: { key }, pause: !isOversight });
  const [sample] = useQuery({ query: SampleQuery, variables: { key }, pause: !isOversight });

  const refresh = () => {
    refetchWorkflow({ requestPolicy: 'network-only' });
    if (isOversight) refetchDocs({ requestPolicy: 'network-only' });
  };

  const documents: Documents = useMemo(() => {
    const list = docs.data?.workflow?.policies;
    return list ? new Map(list.map((p) => [p.version, p.document])) : null;
  }, [docs.data]);

  const w = wf.data?.workflow;
  const sampleNode = sample.data?.approvalRequests.edges[0]?.node ?? null;

  if (wf.fetching && !wf.data) return <Loading what="the workflow" />;
  if (wf.error && !w) return <ErrorBox error={wf.error} />;
  if (!w) {
    return (
      <section class="admin">
        <h1>Workflow not found</h1>
        <p>
          This tenant has no workflow <code>{key}</code>. <a href="/workflows">All workflows</a>
        </p>
      </section>
    );
  }

  const activeDoc = documents?.get(w.activePolicy.version);
  const docsForbidden = errorCode(docs.error) === 'FORBIDDEN';

  return (
    <section class="admin" aria-labelledby="workflow-title">
      <p class="small">
        <a href="/workflows">← Workflows</a>
      </p>
      <h1 id="workflow-title">
        {w.name} <span class="muted">({w.key})</span>
      </h1>
      {w.description && <p class="sub muted">{w.description}</p>}
      <dl class="facts panel">
        <dt>Active policy</dt>
        <dd>
          v{w.activePolicy.version}
          {w.activePolicy.activatedAt && (
            <span class="muted">
              {' '}
              · activated {dateTime(w.activePolicy.activatedAt)}
              {w.activePolicy.activatedBy ? ` by ${w.activePolicy.activatedBy}` : ''}
            </span>
          )}
        </dd>
        <dt>Webhook</dt>
        <dd class="break">
          {w.executionWebhookUrl ? (
            <>
              <code>{w.executionWebhookUrl}</code>
              {w.executionWebhookMaxAttempts ? <span class="muted"> · {w.executionWebhookMaxAttempts} attempts</span> : null}
            </>
          ) : (
            <span class="muted">none: agents report execution</span>
          )}
        </dd>
        <dt>Created</dt>
        <dd>{dateTime(w.createdAt)}</dd>
      </dl>
      {!isAdmin && (
        <p class="notice" role="note">
          Read-only: only admins change the mode or the policy{isOversight ? '; as an auditor you may still backtest and simulate.' : '.'}
        </p>
      )}

      <ModePanel key={`mode:${w.key}`} workflowKey={w.key} mode={w.mode} modeReason={w.modeReason} canChange={isAdmin} onChanged={refresh} />

      <section class="panel" aria-labelledby="active-title">
        <h2 id="active-title">Active policy (v{w.activePolicy.version})</h2>
        {w.activePolicy.note && <p class="small">Note: {w.activePolicy.note}</p>}
        {!isOversight || docsForbidden ? (
          <p class="notice" role="note" data-testid="policy-forbidden">
            Only admins and auditors may read policy documents: their rules say how an action gets auto-approved. You can still see the versions and who changed them below.
          </p>
        ) : docs.error ? (
          <ErrorBox error={docs.error} />
        ) : activeDoc === undefined ? (
          <Loading what="the policy document" />
        ) : (
          <>
            <JsonBlock value={withoutNulls(activeDoc)} label={`Policy document, version ${w.activePolicy.version}`} />
            <p class="hint">Keys sorted; optional keys left unset (null) are not shown.</p>
          </>
        )}
      </section>

      <PolicyVersions
        key={`versions:${w.key}`}
        workflowKey={w.key}
        versions={w.policies}
        activeVersion={w.activePolicy.version}
        documents={documents}
        subject={session.me.subject}
        isAdmin={isAdmin}
        onChanged={refresh}
      />

      {isOversight && !docsForbidden && <PolicyDiff key={`diff:${w.key}`} versions={w.policies} documents={documents} />}

      {isAdmin && activeDoc !== undefined && <ProposePolicy key={`propose:${w.key}`} workflowKey={w.key} activeVersion={w.activePolicy.version} activeDocument={activeDoc} onChanged={refresh} />}

      {isOversight && !docsForbidden && <TryPolicy key={`try:${w.key}`} workflowKey={w.key} versions={w.policies} documents={documents} sample={sampleNode} sampleLoaded={!sample.fetching} />}
    </section>
  );
}
