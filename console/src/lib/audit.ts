// The audit page's filter: read from and written to the URL query (so a filtered view can be
// linked), turned into the API's AuditFilter and the export's parameters.

/** Every audit event type the server writes (api/src/domain/audit.rs), in a reading order. */
export const AUDIT_EVENT_TYPES = [
  'REQUEST_SUBMITTED',
  'AUTO_APPROVED',
  'STEP_OPENED',
  'APPROVAL_RECORDED',
  'STEP_APPROVED',
  'REQUEST_APPROVED',
  'REQUEST_REJECTED',
  'REQUEST_ESCALATED',
  'REQUEST_EXPIRED',
  'REQUEST_CANCELLED',
  'SAMPLE_REVIEWED',
  'EXECUTION_REPORTED',
  'ACTION_ROLLED_BACK',
  'WEBHOOK_ATTEMPTED',
  'WORKFLOW_CREATED',
  'WORKFLOW_MODE_CHANGED',
  'GUARDRAIL_TRIPPED',
  'EXECUTION_WEBHOOK_SET',
  'POLICY_PROPOSED',
  'POLICY_ACTIVATED',
  'POLICY_DECLINED',
  'POLICY_ROLLED_BACK',
  'API_KEY_CREATED',
  'API_KEY_REVOKED',
] as const;

export interface AuditFilterState {
  workflowKey: string;
  requestId: string;
  types: string[];
  /** As typed; empty for none. */
  afterSeq: string;
}

export const EMPTY_AUDIT_FILTER: AuditFilterState = { workflowKey: '', requestId: '', types: [], afterSeq: '' };

/** The API's AuditFilter (empty fields left out); null when nothing filters. */
export function toAuditFilter(f: AuditFilterState): { workflowKey?: string; requestId?: string; types?: string[]; afterSeq?: number } | null {
  const out: { workflowKey?: string; requestId?: string; types?: string[]; afterSeq?: number } = {};
  if (f.workflowKey.trim()) out.workflowKey = f.workflowKey.trim();
  if (f.requestId.trim()) out.requestId = f.requestId.trim();
  if (f.types.length) out.types = [...f.types];
  const seq = parseSeq(f.afterSeq);
  if (seq !== null) out.afterSeq = seq;
  return Object.keys(out).length ? out : null;
}

/** A non-negative whole number, or null (empty or anything else). */
export function parseSeq(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,15}$/.test(t)) return null;
  return Number(t);
}

/** Problems with the filter as typed (shown before anything is sent). */
export function auditFilterProblems(f: AuditFilterState): string[] {
  const problems: string[] = [];
  if (f.afterSeq.trim() && parseSeq(f.afterSeq) === null) problems.push('"After seq" must be a whole number (0 or more).');
  const id = f.requestId.trim();
  if (id && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) problems.push('"Request id" must be a request id (a UUID such as 01a20bdc-b549-7d68-a39b-909c2662d397).');
  return problems;
}

/** The filter as URL query parameters (the same names as the export's). */
export function auditFilterToQuery(f: AuditFilterState): string {
  const p = new URLSearchParams();
  if (f.workflowKey.trim()) p.set('workflowKey', f.workflowKey.trim());
  if (f.requestId.trim()) p.set('requestId', f.requestId.trim());
  if (f.types.length) p.set('types', f.types.join(','));
  if (f.afterSeq.trim()) p.set('afterSeq', f.afterSeq.trim());
  return p.toString();
}

/** The filter a URL query describes (unknown parameters ignored). */
export function auditFilterFromQuery(query: Record<string, string | undefined>): AuditFilterState {
  return {
    workflowKey: query['workflowKey'] ?? '',
    requestId: query['requestId'] ?? '',
    types: (query['types'] ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    afterSeq: query['afterSeq'] ?? '',
  };
}

/** `dca57567569d…e9609a0`: enough of a hash to tell events apart. */
export function shortHash(hash: string, head = 12, tail = 6): string {
  return hash.length <= head + tail + 1 ? hash : `${hash.slice(0, head)}…${hash.slice(-tail)}`;
}

/** "Events 101–200" for a page. */
export function pageRange(seqs: readonly number[]): string {
  if (seqs.length === 0) return 'No events';
  const lo = Math.min(...seqs);
  const hi = Math.max(...seqs);
  return lo === hi ? `Event seq ${lo}` : `Events seq ${lo}–${hi}`;
}

/** A one-line preview of an event's data: its keys, `amount, currency, vendor`. */
export function dataPreview(value: unknown, max = 4): string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value) ?? '';
  const keys = Object.keys(value as Record<string, unknown>).sort();
  if (keys.length === 0) return '{}';
  return keys.length > max ? `${keys.slice(0, max).join(', ')} +${keys.length - max}` : keys.join(', ');
}
