// Workflows: every workflow of the tenant with its mode, active policy version and webhook,
// each linking to its page. Everyone may read it; only admins change anything (on the
// workflow's page).

import { useQuery } from '@urql/preact';
import { graphql } from '../gql';
import { useSession } from '../session';
import { ErrorBox, Loading } from '../components/common';
import { dateTime } from '../lib/format';
import { MODE_EFFECT } from '../lib/policy';
import '../components/admin/admin.css';

const WorkflowsQuery = graphql(`
  query AdminWorkflows {
    workflows {
      key
      name
      description
      mode
      modeReason
      activePolicy {
        version
        activatedAt
      }
      policies {
        version
        status
      }
      executionWebhookUrl
      executionWebhookMaxAttempts
      createdAt
    }
  }
`);

export function Workflows() {
  const { isAdmin } = useSession();
  const [{ data, fetching, error }, refetch] = useQuery({ query: WorkflowsQuery });
  const workflows = data?.workflows ?? [];
  return (
    <section class="admin" aria-labelledby="workflows-title">
      <div class="row">
        <h1 id="workflows-title">Workflows</h1>
        <button type="button" class="link" style={{ marginLeft: 'auto' }} onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Refresh
        </button>
      </div>
      {!isAdmin && (
        <p class="notice" role="note">
          Read-only: only admins change a workflow's mode or policy.
        </p>
      )}
      <ErrorBox error={error} />
      {fetching && !data && <Loading what="workflows" />}
      {data && workflows.length === 0 && <p class="muted">This tenant has no workflows yet.</p>}
      {workflows.length > 0 && (
        <div class="table-wrap">
          <table class="responsive" data-testid="workflows-table">
            <caption class="sr-only">Workflows of the tenant</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Name</th>
                <th scope="col">Mode</th>
                <th scope="col">Active policy</th>
                <th scope="col">Proposals</th>
                <th scope="col">Webhook</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {workflows.map((w) => {
                const proposed = w.policies.filter((p) => p.status === 'PROPOSED').length;
                return (
                  <tr key={w.key} data-testid="workflow-row" data-key={w.key}>
                    <td data-label="Key">
                      <a href={`/workflows/${encodeURIComponent(w.key)}`}>
                        <code>{w.key}</code>
                      </a>
                    </td>
                    <td data-label="Name">
                      <div class="cell">
                        <a href={`/workflows/${encodeURIComponent(w.key)}`}>{w.name}</a>
                        {w.description && <div class="small muted">{w.description}</div>}
                      </div>
                    </td>
                    <td data-label="Mode">
                      <div class="cell">
                        <span class={`badge mode mode-${w.mode}`} title={MODE_EFFECT[w.mode]}>
                          {w.mode}
                        </span>
                        {w.mode !== 'ACTIVE' && w.modeReason && <div class="small muted">{w.modeReason}</div>}
                      </div>
                    </td>
                    <td data-label="Active policy">
                      <span>
                        v{w.activePolicy.version}
                        <span class="small muted"> · {w.policies.length} version{w.policies.length === 1 ? '' : 's'}</span>
                      </span>
                    </td>
                    <td data-label="Proposals">{proposed > 0 ? <span class="badge status-PROPOSED">{proposed} proposed</span> : <span class="muted">none</span>}</td>
                    <td data-label="Webhook" class="break">
                      {w.executionWebhookUrl ? (
                        <div class="cell">
                          <code>{w.executionWebhookUrl}</code>
                          {w.executionWebhookMaxAttempts && <div class="small muted">{w.executionWebhookMaxAttempts} attempts</div>}
                        </div>
                      ) : (
                        <span class="muted">none (agents report execution)</span>
                      )}
                    </td>
                    <td data-label="Created" class="nowrap">
                      {dateTime(w.createdAt)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
