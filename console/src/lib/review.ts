// Logic of the request view: the action editor's validation, what to send when approving an
// edited action, safe links for citations, whether the reviewer can decide, and the request's
// audit history in words.

import { prettyJson } from './format';

export type ParsedAction = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** Reads the editor's text: it must be JSON, and a JSON object (what an action is). */
export function parseAction(text: string): ParsedAction {
  if (text.trim() === '') return { ok: false, error: 'The action is empty: it must be a JSON object.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: `An action must be a JSON object ({ … }), not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}.` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** True when two JSON values are the same document (key order aside). */
export function sameJson(a: unknown, b: unknown): boolean {
  return prettyJson(a) === prettyJson(b);
}

/**
 * The `editedAction` to send with an approval: the edited document when it differs from the
 * action as it stands (`finalAction`), otherwise nothing (a plain approval).
 */
export function editedActionToSend(edited: Record<string, unknown>, finalAction: unknown): Record<string, unknown> | undefined {
  return sameJson(edited, finalAction) ? undefined : edited;
}

/** `url` when it is an http(s) link, null otherwise (no `javascript:` or `data:` links from submitted data). */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** What a stale version means, in plain words. */
export const CONFLICT_EXPLANATION =
  'Someone else acted on this request while you had it open, so your decision was not recorded. ' +
  'It has been reloaded with its current state: look at it again before deciding.';

export interface StepLike {
  index: number;
  role: string;
  status: string;
  escalatedTo?: string | null;
}

export interface DecisionLike {
  actor: string;
}

/**
 * Why the reviewer cannot decide a PENDING request, or null when the server should accept a
 * decision (it has the last word): the submitter never decides, a person decides one step, and
 * the open step needs its role (or the role it escalated to).
 */
export function whyCannotDecide(
  request: { status: string; submittedBy: string; steps: readonly StepLike[]; decisions: readonly DecisionLike[] },
  me: { subject: string; roles: readonly string[] },
): string | null {
  if (request.status !== 'PENDING') return `It is ${request.status}, no longer pending.`;
  if (request.submittedBy === me.subject) return 'You submitted it, and a submitter never decides its own action.';
  if (request.decisions.some((d) => d.actor === me.subject)) return 'You already decided a step of it, and a person decides at most one step.';
  const open = request.steps.find((s) => s.status === 'OPEN');
  if (!open) return null;
  const roles = [open.role, ...(open.escalatedTo ? [open.escalatedTo] : [])];
  if (!roles.some((r) => me.roles.includes(r))) return `Its open step (step ${open.index + 1}) needs the role ${roles.join(' or ')}, which you do not hold.`;
  return null;
}

export interface HistoryEvent {
  type: string;
  actor: string;
  data: unknown;
}

function get(data: unknown, key: string): unknown {
  return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>)[key] : undefined;
}

function str(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

function stepNo(data: unknown): string {
  const s = get(data, 'step');
  return typeof s === 'number' ? `step ${s + 1}` : 'a step';
}

function withReason(text: string, data: unknown): string {
  const code = str(get(data, 'reasonCode'));
  const comment = str(get(data, 'comment'));
  const reason = str(get(data, 'reason'));
  let out = text;
  if (code) out += ` — reason ${code}`;
  if (reason) out += ` — “${reason}”`;
  if (comment) out += ` — “${comment}”`;
  return out;
}

/** One audit event of a request, as a sentence (without who and when, shown beside it). */
export function describeEvent(e: HistoryEvent): string {
  const d = e.data;
  switch (e.type) {
    case 'REQUEST_SUBMITTED': {
      const route = str(get(d, 'route'));
      const rule = str(get(d, 'matchedRule'));
      return `Submitted${route ? `, routed ${route}` : ''}${rule ? ` by rule ${rule}` : route ? ' by the default' : ''}`;
    }
    case 'AUTO_APPROVED':
      return `Approved automatically${str(get(d, 'rule')) ? ` by rule ${str(get(d, 'rule'))}` : ''}${get(d, 'qaSampled') === true ? ', picked for QA' : ''}`;
    case 'STEP_OPENED': {
      const role = str(get(d, 'role'));
      const quorum = get(d, 'quorum');
      return `Opened ${stepNo(d)} for ${role ?? 'a role'}${typeof quorum === 'number' && quorum > 1 ? ` (${quorum} approvals needed)` : ''}`;
    }
    case 'APPROVAL_RECORDED':
      return withReason(`Approved ${stepNo(d)} (${str(get(d, 'approvals')) ?? '?'} of ${str(get(d, 'quorum')) ?? '?'})${get(d, 'edited') === true ? ', with an edited action' : ''}`, d);
    case 'STEP_APPROVED':
      return withReason(`Approved ${stepNo(d)}${get(d, 'edited') === true ? ', with an edited action' : ''}`, d);
    case 'REQUEST_APPROVED':
      return `Request approved${get(d, 'edited') === true ? ' (action edited)' : ''}`;
    case 'REQUEST_REJECTED':
      return withReason(get(d, 'by') === 'policy' ? 'Rejected by the policy' : `Rejected at ${stepNo(d)}`, d);
    case 'REQUEST_ESCALATED':
      return `Escalated ${stepNo(d)} to ${str(get(d, 'toRole')) ?? 'another role'} (overdue)`;
    case 'REQUEST_EXPIRED':
      return 'Expired before a decision';
    case 'REQUEST_CANCELLED':
      return withReason(get(d, 'bySubmitter') === true ? 'Cancelled by its submitter' : 'Cancelled', d);
    case 'SAMPLE_REVIEWED':
      return withReason(`QA verdict ${str(get(d, 'verdict')) ?? ''}`.trim(), d);
    case 'EXECUTION_REPORTED': {
      if (get(d, 'success') === true) return `Executed${str(get(d, 'externalRef')) ? ` (${str(get(d, 'externalRef'))})` : ''}`;
      return `Execution failed${str(get(d, 'error')) ? `: ${str(get(d, 'error'))}` : ''}`;
    }
    case 'WEBHOOK_ATTEMPTED': {
      const attempt = str(get(d, 'attempt'));
      const status = str(get(d, 'statusCode')) ?? str(get(d, 'error'));
      return `Webhook delivery attempt${attempt ? ` ${attempt}` : ''}${status ? ` → ${status}` : ''}`;
    }
    case 'ACTION_ROLLED_BACK':
      return withReason('Action rolled back', d);
    default:
      return e.type
        .toLowerCase()
        .replace(/_/g, ' ')
        .replace(/^./, (c) => c.toUpperCase());
  }
}
