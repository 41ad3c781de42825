// The reviewer queue's logic, kept out of the page so it can be tested: which live audit events
// matter to the queue, which of them are new work for the signed-in reviewer, how pages merge,
// the selection for batch decisions and what `decideMany` is sent.

/** An audit event as the `approvalEvents` subscription delivers it (the fields the queue reads). */
export interface QueueEvent {
  seq: number;
  type: string;
  actor: string;
  requestId?: string | null;
  workflowKey?: string | null;
  data: unknown;
}

/** Event types after which the queue may have changed: something entered it, or left it. */
export const QUEUE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'REQUEST_SUBMITTED',
  'STEP_OPENED',
  'APPROVAL_RECORDED',
  'STEP_APPROVED',
  'REQUEST_APPROVED',
  'REQUEST_REJECTED',
  'REQUEST_ESCALATED',
  'REQUEST_EXPIRED',
  'REQUEST_CANCELLED',
]);

/** True when an event of this type can change what the queue lists (refetch it). */
export function affectsQueue(type: string): boolean {
  return QUEUE_EVENT_TYPES.has(type);
}

/** Who is looking at the queue. */
export interface Reviewer {
  subject: string;
  roles: readonly string[];
}

/** What live events told so far: requests that arrived for the reviewer, and ones it may not decide. */
export interface ArrivalState {
  /** Request ids that became decidable by the reviewer since the page was loaded, in order. */
  arrived: string[];
  /** Request ids the reviewer submitted or already approved a step of (never its work). */
  excluded: string[];
}

export const NO_ARRIVALS: ArrivalState = { arrived: [], excluded: [] };

function field(data: unknown, name: string): unknown {
  return data && typeof data === 'object' ? (data as Record<string, unknown>)[name] : undefined;
}

/**
 * Folds one live event into `state`. A request arrives when a step opens for a role the reviewer
 * holds (STEP_OPENED) or an overdue step escalates to one (REQUEST_ESCALATED, unless the reviewer
 * held the original role already) — except requests the reviewer submitted or already approved a
 * step of, which it may not decide. Each request counts once.
 */
export function noteEvent(state: ArrivalState, event: QueueEvent, me: Reviewer): ArrivalState {
  const id = event.requestId;
  if (!id) return state;
  const holds = (role: unknown) => typeof role === 'string' && me.roles.includes(role);
  const mineTypes = event.type === 'REQUEST_SUBMITTED' || event.type === 'APPROVAL_RECORDED' || event.type === 'STEP_APPROVED';
  if (mineTypes && event.actor === me.subject) {
    if (state.excluded.includes(id)) return state;
    return { arrived: state.arrived.filter((a) => a !== id), excluded: [...state.excluded, id] };
  }
  let arrives = false;
  if (event.type === 'STEP_OPENED') arrives = holds(field(event.data, 'role'));
  else if (event.type === 'REQUEST_ESCALATED') arrives = holds(field(event.data, 'toRole')) && !holds(field(event.data, 'role'));
  if (!arrives || state.excluded.includes(id) || state.arrived.includes(id)) return state;
  return { ...state, arrived: [...state.arrived, id] };
}

/** `existing` followed by the rows of `incoming` it does not have yet (by id). */
export function mergePage<T extends { id: string }>(existing: readonly T[], incoming: readonly T[]): T[] {
  const seen = new Set(existing.map((r) => r.id));
  return [...existing, ...incoming.filter((r) => !seen.has(r.id))];
}

/**
 * The page size of a refetch that replaces the `loaded` rows: as many whole pages as were loaded
 * (at least one, at most the API's limit), so a refresh neither loses nor keeps growing pages.
 */
export function refetchSize(loaded: number, page = 50, max = 500): number {
  return Math.min(max, Math.max(page, Math.ceil(loaded / page) * page));
}

/** A selected request: what a batch decision needs (the version the reviewer saw). */
export interface Selected {
  id: string;
  title: string;
  version: number;
}

export type Selection = Readonly<Record<string, Selected>>;

/** `selection` with `item` added, or removed when it was there. */
export function toggleSelected(selection: Selection, item: Selected): Selection {
  if (selection[item.id]) {
    const { [item.id]: _removed, ...rest } = selection;
    return rest;
  }
  return { ...selection, [item.id]: item };
}

/** `selection` with every one of `items` added (or, when all were selected already, removed). */
export function toggleAll(selection: Selection, items: readonly Selected[]): Selection {
  const allIn = items.length > 0 && items.every((i) => selection[i.id]);
  const next: Record<string, Selected> = { ...selection };
  for (const i of items) {
    if (allIn) delete next[i.id];
    else if (!next[i.id]) next[i.id] = i;
  }
  return next;
}

/**
 * Drops the selected requests the queue no longer lists (decided elsewhere, expired,
 * cancelled). The version kept is the one the reviewer saw when selecting: a request that
 * changed since then fails with CONFLICT rather than being decided unseen.
 */
export function keepListed(selection: Selection, listedIds: readonly string[]): Selection {
  const listed = new Set(listedIds);
  const next: Record<string, Selected> = {};
  let dropped = false;
  for (const [id, s] of Object.entries(selection)) {
    if (listed.has(id)) next[id] = s;
    else dropped = true;
  }
  return dropped ? next : selection;
}

/** The `DecideInput` of one request (the shape of the schema's input). */
export interface DecideInputShape {
  requestId: string;
  decision: 'APPROVE' | 'REJECT';
  expectedVersion: number;
  reasonCode?: string;
  comment?: string;
  editedAction?: unknown;
}

/** The inputs of `decideMany` for `items`: each with its expected version; reject with the reason code. */
export function batchInputs(
  items: readonly Selected[],
  decision: 'APPROVE' | 'REJECT',
  reasonCode?: string | null,
  comment?: string | null,
): DecideInputShape[] {
  const code = reasonCode?.trim();
  const note = comment?.trim();
  return items.map((i) => ({
    requestId: i.id,
    decision,
    expectedVersion: i.version,
    ...(decision === 'REJECT' && code ? { reasonCode: code } : {}),
    ...(note ? { comment: note } : {}),
  }));
}

const REASON_CODE = /^[A-Za-z0-9_.:/-]+$/;

/**
 * Why a reason code would be refused, in words (the server's rule: 1-64 letters, digits, `_`,
 * `.`, `:`, `-` or `/`), or null when it is fine.
 */
export function reasonCodeProblem(code: string | null | undefined): string | null {
  const c = (code ?? '').trim();
  if (c === '') return 'A reason code is required.';
  if (c.length > 64) return `A reason code has at most 64 characters (this one has ${c.length}).`;
  if (!REASON_CODE.test(c)) return "A reason code may only hold letters, digits and _ . : - / (no spaces).";
  return null;
}

/** One item of `decideMany`'s answer. */
export interface BatchItemResult {
  requestId: string;
  request?: { status: string } | null;
  error?: { code: string; message: string } | null;
}

/** How a batch went: counts, for the summary line. */
export function batchSummary(results: readonly BatchItemResult[]): { ok: number; failed: number; text: string } {
  const ok = results.filter((r) => !r.error && r.request).length;
  const failed = results.length - ok;
  const parts = [`${ok} of ${results.length} decided`];
  if (failed > 0) parts.push(`${failed} failed`);
  return { ok, failed, text: parts.join(', ') };
}

/**
 * The request to open after `currentId` in queue order (`ids`): the next one (`dir` 1) or the
 * previous one (-1). When the current one is no longer listed (just decided), the first one.
 */
export function neighbour(ids: readonly string[], currentId: string, dir: 1 | -1): string | null {
  const at = ids.indexOf(currentId);
  if (at < 0) return dir === 1 ? (ids[0] ?? null) : null;
  return ids[at + dir] ?? null;
}

const QUEUE_URL_KEY = 'countersign.reviewer.queueUrl';

/** Remembers the queue's URL (its workflow filter) for the request view's way back. */
export function rememberQueueUrl(url: string): void {
  try {
    sessionStorage.setItem(QUEUE_URL_KEY, url);
  } catch {
    // storage unavailable: the way back is the unfiltered queue
  }
}

/** The queue URL to go back to: the last one remembered when it is a queue URL, else `/`. */
export function queueUrl(): string {
  try {
    const url = sessionStorage.getItem(QUEUE_URL_KEY);
    return url && /^\/(\?[^#]*)?$/.test(url) ? url : '/';
  } catch {
    return '/';
  }
}
