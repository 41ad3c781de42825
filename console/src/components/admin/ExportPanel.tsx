// Exports of the audit log (with the audit page's filters) and of requests (the workflow of
// those filters, plus status, route and submission range). Each link is fetched with the
// credential in the Authorization header and saved from a Blob: the token is never in a URL.

import { useState } from 'preact/hooks';
import { getToken } from '../../lib/auth';
import type { AuditFilterState } from '../../lib/audit';
import { parseSeq } from '../../lib/audit';
import { byteSize, downloadExport, EXPORT_FORMATS, exportUrl, type ExportFormat } from '../../lib/download';
import { fromLocalInput } from '../../lib/policy';

const STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'EXECUTED', 'EXECUTION_FAILED', 'ROLLED_BACK'];
const ROUTES = ['AUTO', 'HUMAN', 'REJECT'];

export function ExportPanel(props: { audit: AuditFilterState }) {
  const [statuses, setStatuses] = useState<string[]>([]);
  const [route, setRoute] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const auditFilter = {
    workflowKey: props.audit.workflowKey,
    requestId: props.audit.requestId,
    types: props.audit.types,
    afterSeq: parseSeq(props.audit.afterSeq),
  };
  const requestFilter = {
    workflowKey: props.audit.workflowKey,
    status: statuses,
    route,
    submittedFrom: fromLocalInput(from),
    submittedTo: fromLocalInput(to),
  };

  const download = async (e: Event, url: string) => {
    e.preventDefault();
    if (busy) return;
    const token = getToken();
    if (!token) {
      setMessage({ ok: false, text: 'You are signed out: sign in again to export.' });
      return;
    }
    const name = url.replace(/^\/export\//, '').replace(/\?.*$/, '');
    setBusy(url);
    setMessage({ ok: true, text: `Downloading ${name}…` });
    try {
      const { fileName, bytes } = await downloadExport(url, token);
      setMessage({ ok: true, text: `Saved ${fileName} (${byteSize(bytes)}).` });
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(null);
    }
  };

  const links = (kind: 'audit' | 'requests') =>
    EXPORT_FORMATS.map((f: ExportFormat) => {
      const url = kind === 'audit' ? exportUrl('audit', f, auditFilter) : exportUrl('requests', f, requestFilter);
      return (
        <a
          key={f}
          class="button"
          href={url}
          // `download` also keeps the router from treating the link as navigation.
          download={`${kind}.${f}`}
          data-testid={`export-${kind}-${f}`}
          aria-label={`Download ${kind}.${f}`}
          aria-busy={busy === url}
          onClick={(e) => download(e, url)}
        >
          {kind}.{f}
        </a>
      );
    });

  const auditSummary = [
    props.audit.workflowKey && `workflow ${props.audit.workflowKey}`,
    props.audit.requestId && `request ${props.audit.requestId}`,
    props.audit.types.length && `${props.audit.types.length} event type${props.audit.types.length === 1 ? '' : 's'}`,
    auditFilter.afterSeq !== null && `after seq ${auditFilter.afterSeq}`,
  ].filter(Boolean);

  const requestSummary = [
    route && `route ${route}`,
    statuses.length && `status ${statuses.join(', ')}`,
    requestFilter.submittedFrom && `submitted from ${from.replace('T', ' ')}`,
    requestFilter.submittedTo && `before ${to.replace('T', ' ')}`,
  ].filter(Boolean);

  return (
    <section class="panel" aria-labelledby="export-title">
      <h2 id="export-title" style={{ marginTop: 0 }}>
        Export
      </h2>
      <p class="hint">CSV, JSON lines or Parquet, for warehouses and spreadsheets. Times are UTC; money keeps 8 decimals.</p>
      <h3>Audit events</h3>
      <p class="small">With the applied filters: {auditSummary.length ? auditSummary.join(', ') : 'the whole log'}.</p>
      <div class="exports">{links('audit')}</div>

      <h3>Requests</h3>
      <p class="small">
        {props.audit.workflowKey ? `Workflow ${props.audit.workflowKey} (from the filter)` : 'All workflows'}
        {requestSummary.length ? `, ${requestSummary.join(', ')}` : ''}.
      </p>
      <details>
        <summary>Filter the requests export</summary>
        <div class="fields">
          <div class="field">
            <label for="export-route">Route</label>
            <select id="export-route" value={route} onChange={(e) => setRoute(e.currentTarget.value)}>
              <option value="">Any route</option>
              {ROUTES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="export-from">Submitted from</label>
            <input id="export-from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="export-to">Submitted before</label>
            <input id="export-to" type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          </div>
        </div>
        <fieldset>
          <legend>Statuses ({statuses.length ? statuses.length : 'all'})</legend>
          <div class="checks">
            {STATUSES.map((s) => (
              <label key={s}>
                <input type="checkbox" checked={statuses.includes(s)} onChange={(e) => setStatuses(e.currentTarget.checked ? [...statuses, s] : statuses.filter((x) => x !== s))} />
                {s}
              </label>
            ))}
          </div>
        </fieldset>
      </details>
      <div class="exports">{links('requests')}</div>
      <p role="status" class={message?.ok ? 'notice small' : 'sr-only'} data-testid="export-status">
        {message?.ok ? message.text : ''}
      </p>
      {message && !message.ok && (
        <p role="alert" class="alert" data-testid="export-error">
          {message.text}
        </p>
      )}
    </section>
  );
}
