// API keys (admins): the tenant's keys (never their secrets), creating one — its `cs_…` secret
// shown once, with a Copy button — and revoking one after a confirmation.

import { useRef, useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import { graphql } from '../gql';
import { useSession } from '../session';
import { errorCode } from '../lib/client';
import { dateTime } from '../lib/format';
import { newKeyProblems, parseRoles, powerfulRoles } from '../lib/apikeys';
import { ErrorBox, Loading } from '../components/common';
import { Dialog } from '../components/admin/Dialog';
import { ErrorNote } from '../components/admin/ErrorNote';
import '../components/admin/admin.css';

const KeysQuery = graphql(`
  query AdminApiKeys {
    apiKeys {
      id
      prefix
      principal
      roles
      label
      createdBy
      createdAt
      revokedAt
      revokedBy
    }
  }
`);

const CreateKey = graphql(`
  mutation AdminCreateApiKey($principal: String!, $roles: [String!]!, $label: String) {
    createApiKey(principal: $principal, roles: $roles, label: $label) {
      id
      key
      principal
      roles
    }
  }
`);

const RevokeKey = graphql(`
  mutation AdminRevokeApiKey($id: ID!) {
    revokeApiKey(id: $id)
  }
`);

interface KeyRow {
  id: string;
  prefix: string;
  principal: string;
  roles: string[];
  label?: string | null;
}

export function ApiKeys() {
  const { isAdmin } = useSession();
  if (!isAdmin) {
    return (
      <section class="admin">
        <h1>API keys</h1>
        <p class="notice" role="note">
          Only admins manage API keys.
        </p>
      </section>
    );
  }
  return <ApiKeysAdmin />;
}

function ApiKeysAdmin() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: KeysQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const [showRevoked, setShowRevoked] = useState(true);
  const [revoking, setRevoking] = useState<KeyRow | null>(null);
  const [revokeError, setRevokeError] = useState<CombinedError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [{ fetching: revokeBusy }, revoke] = useMutation(RevokeKey);
  const doneRef = useRef<HTMLParagraphElement>(null);

  const keys = data?.apiKeys ?? [];
  const shown = showRevoked ? keys : keys.filter((k) => !k.revokedAt);
  const activeCount = keys.filter((k) => !k.revokedAt).length;

  const confirmRevoke = async () => {
    if (!revoking) return;
    const result = await revoke({ id: revoking.id });
    if (result.error) {
      setRevokeError(result.error);
      if (errorCode(result.error) === 'CONFLICT' || errorCode(result.error) === 'NOT_FOUND') refresh();
      return;
    }
    setDone(`Key ${revoking.prefix}… (${revoking.principal}) is revoked: it no longer signs anyone in.`);
    setRevoking(null);
    refresh();
    // The Revoke button that opened the dialog is gone: move focus to the outcome.
    setTimeout(() => doneRef.current?.focus(), 50);
  };

  return (
    <section class="admin" aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <p class="hint">Keys let agents and scripts call the API as a principal with roles. A key's secret is shown once, when it is created; only its prefix is kept for display.</p>
      <CreateKeyForm onCreated={refresh} />
      <section class="panel" aria-labelledby="keys-list-title">
        <div class="row">
          <h2 id="keys-list-title">Keys</h2>
          <span class="muted small">
            {activeCount} active · {keys.length - activeCount} revoked
          </span>
          <label class="inline" style={{ marginLeft: 'auto' }}>
            <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.currentTarget.checked)} />
            Show revoked keys
          </label>
        </div>
        <p role="status" class={done ? 'notice' : 'sr-only'} tabIndex={-1} ref={doneRef}>
          {done ?? ''}
        </p>
        <ErrorBox error={error} />
        {fetching && !data && <Loading what="API keys" />}
        {data && shown.length === 0 && <p class="muted">No keys{showRevoked ? ' yet' : ' in use'}.</p>}
        {shown.length > 0 && (
          <div class="table-wrap">
            <table class="responsive" data-testid="api-keys">
              <caption class="sr-only">API keys, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Prefix</th>
                  <th scope="col">Principal</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Label</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((k) => (
                  <tr key={k.id} class={k.revokedAt ? 'revoked' : ''} data-testid="api-key-row" data-id={k.id} data-prefix={k.prefix}>
                    <td data-label="Prefix">
                      <code>{k.prefix}…</code>
                    </td>
                    <td data-label="Principal" class="break">
                      <span>{k.principal}</span>
                    </td>
                    <td data-label="Roles">
                      <span class="row" style={{ gap: '0.25rem' }}>
                        {k.roles.map((r) => (
                          <span key={r} class={powerfulRoles([r]).length ? 'badge risk' : 'badge'}>
                            {r}
                          </span>
                        ))}
                      </span>
                    </td>
                    <td data-label="Label">{k.label ? <span>{k.label}</span> : <span class="muted">—</span>}</td>
                    <td data-label="Created">
                      <div class="cell">
                        <div>{k.createdBy}</div>
                        <div class="small muted nowrap">{dateTime(k.createdAt)}</div>
                      </div>
                    </td>
                    <td data-label="Status">
                      {k.revokedAt ? (
                        <div class="cell">
                          <span class="badge exception">Revoked</span>
                          <div class="small muted nowrap">
                            {dateTime(k.revokedAt)}
                            {k.revokedBy ? ` by ${k.revokedBy}` : ''}
                          </div>
                        </div>
                      ) : (
                        <span class="badge status-ACTIVE">Active</span>
                      )}
                    </td>
                    <td data-label="Actions">
                      {!k.revokedAt && (
                        <button
                          type="button"
                          class="danger"
                          aria-label={`Revoke ${k.prefix}… (${k.principal})`}
                          onClick={() => {
                            setRevoking(k);
                            setRevokeError(null);
                            setDone(null);
                          }}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Dialog open={revoking !== null} title="Revoke this API key?" onClose={() => setRevoking(null)}>
        {revoking && (
          <>
            <p>
              <code>{revoking.prefix}…</code> acts as <strong>{revoking.principal}</strong> ({revoking.roles.join(', ')}){revoking.label ? ` — ${revoking.label}` : ''}.
            </p>
            <p class="warn">Anything using this key is refused from now on (UNAUTHENTICATED). This cannot be undone: create a new key instead.</p>
            <ErrorNote error={revokeError} />
            <div class="actions">
              <button type="button" data-autofocus onClick={() => setRevoking(null)}>
                Cancel
              </button>
              <button type="button" class="danger" disabled={revokeBusy} onClick={confirmRevoke}>
                {revokeBusy ? 'Revoking…' : 'Revoke key'}
              </button>
            </div>
          </>
        )}
      </Dialog>
    </section>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: () => void }) {
  const [principal, setPrincipal] = useState('');
  const [rolesText, setRolesText] = useState('agent');
  const [label, setLabel] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<CombinedError | null>(null);
  const [created, setCreated] = useState<{ key: string; principal: string; roles: string[] } | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreateKey);
  const secretRef = useRef<HTMLDivElement>(null);

  const roles = parseRoles(rolesText);
  const powerful = powerfulRoles(roles);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const p = newKeyProblems(principal, roles);
    setProblems(p);
    if (p.length) return;
    const result = await create({ principal: principal.trim(), roles, label: label.trim() || null });
    if (result.error || !result.data) {
      setError(result.error ?? null);
      return;
    }
    const k = result.data.createApiKey;
    setCreated({ key: k.key, principal: k.principal, roles: k.roles });
    setCopied(null);
    setPrincipal('');
    setLabel('');
    onCreated();
    // Announce and show the secret.
    setTimeout(() => secretRef.current?.focus(), 0);
  };

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The browser refused the clipboard: select the key and copy it by hand.');
    }
  };

  return (
    <section class="panel" aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key</h2>
      {created && (
        <div class="secret" data-testid="new-key" tabIndex={-1} ref={secretRef} role="region" aria-labelledby="new-key-title">
          <h3 id="new-key-title" style={{ marginTop: 0 }}>
            New API key for {created.principal} ({created.roles.join(', ')})
          </h3>
          <p>
            <strong>Copy it now: it will not be shown again.</strong> Only its prefix is stored for display; if it is lost, revoke it and create another.
          </p>
          <code class="key" data-testid="new-key-secret">
            {created.key}
          </code>
          <div class="row">
            <button type="button" class="primary" onClick={copy}>
              Copy
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              I have stored it — hide it
            </button>
            <span role="status" class="small">
              {copied ?? ''}
            </span>
          </div>
        </div>
      )}
      <form onSubmit={submit} noValidate>
        <div class="fields">
          <div class="field">
            <label for="key-principal">Principal</label>
            <input id="key-principal" type="text" value={principal} maxLength={128} placeholder="e.g. refund-agent" autoComplete="off" onInput={(e) => setPrincipal(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="key-roles">Roles</label>
            <input id="key-roles" type="text" value={rolesText} aria-describedby="key-roles-help" autoComplete="off" onInput={(e) => setRolesText(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="key-label">Label</label>
            <input id="key-label" type="text" value={label} maxLength={200} placeholder="what it is for" onInput={(e) => setLabel(e.currentTarget.value)} />
          </div>
        </div>
        <p class="hint" id="key-roles-help">
          Comma-separated: <code>agent</code> to submit actions, a reviewer role (e.g. <code>support_agent</code>), <code>auditor</code>, <code>admin</code>.
        </p>
        {powerful.length > 0 && (
          <p class="warn small" role="note">
            This key will carry {powerful.join(' and ')}: it can {powerful.includes('admin') ? 'change policies, modes and keys' : 'read every request, policy and the audit log'}.
          </p>
        )}
        {problems.length > 0 && (
          <div role="alert" class="alert">
            {problems.map((p) => (
              <div key={p}>{p}</div>
            ))}
          </div>
        )}
        <ErrorNote error={error} />
        <div class="actions start">
          <button type="submit" class="primary" disabled={fetching}>
            {fetching ? 'Creating…' : 'Create key'}
          </button>
        </div>
      </form>
    </section>
  );
}
