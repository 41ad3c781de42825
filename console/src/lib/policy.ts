// Pure helpers of the workflow admin page: what each mode does, which policy versions an admin
// may act on, reading hand-written JSON (policies, actions) with a useful error, an example
// action to simulate, and the date range of a backtest.

export type WorkflowMode = 'ACTIVE' | 'MANUAL_ONLY' | 'PAUSED';
export type PolicyStatus = 'PROPOSED' | 'ACTIVE' | 'SUPERSEDED' | 'DECLINED';

export const MODES: WorkflowMode[] = ['ACTIVE', 'MANUAL_ONLY', 'PAUSED'];

/** What a workflow does in each mode (the kill switch), as the confirm step says it. */
export const MODE_EFFECT: Record<WorkflowMode, string> = {
  ACTIVE: 'ACTIVE restores policy routing: actions are auto-approved, sent to people or rejected as the active policy says.',
  MANUAL_ONLY: 'MANUAL_ONLY sends every action to people: nothing is auto-approved, even where the policy would allow it (REJECT rules still reject).',
  PAUSED: 'PAUSED refuses new actions: agents get WORKFLOW_PAUSED and nothing is stored. Requests already pending stay pending.',
};

/** A few words on each mode, for the options of the mode select. */
export const MODE_LABEL: Record<WorkflowMode, string> = {
  ACTIVE: 'policy routing',
  MANUAL_ONLY: 'every action to people',
  PAUSED: 'refuse new actions',
};

export interface VersionLike {
  version: number;
  status: PolicyStatus;
  proposedBy: string;
}

/** The version to try by default: the newest PROPOSED one, else the ACTIVE one. */
export function defaultCandidate<T extends VersionLike>(versions: readonly T[]): T | undefined {
  const proposed = versions.filter((v) => v.status === 'PROPOSED');
  if (proposed.length) return proposed.reduce((a, b) => (b.version > a.version ? b : a));
  return versions.find((v) => v.status === 'ACTIVE');
}

/** Versions a rollback may return to: those that were active before (SUPERSEDED), newest first. */
export function rollbackTargets<T extends VersionLike>(versions: readonly T[]): T[] {
  return versions.filter((v) => v.status === 'SUPERSEDED').sort((a, b) => b.version - a.version);
}

/** Why `subject` may not activate `v` (null when nothing in the data forbids it). */
export function activationBlocker(v: VersionLike, subject: string): string | null {
  if (v.status !== 'PROPOSED') return `Version ${v.version} is ${v.status}; only a PROPOSED version can be activated.`;
  if (v.proposedBy === subject)
    return `You proposed version ${v.version}. Four eyes: a second admin must activate it (the server refuses activation by the proposer).`;
  return null;
}

/** The pair of versions compared by default: the active one against the newest other (proposed first). */
export function defaultDiffPair(versions: readonly VersionLike[]): [number, number] | null {
  if (versions.length === 0) return null;
  const active = versions.find((v) => v.status === 'ACTIVE') ?? versions[versions.length - 1]!;
  const candidate = defaultCandidate(versions);
  if (candidate && candidate.version !== active.version) return [active.version, candidate.version];
  const others = versions.filter((v) => v.version !== active.version);
  if (others.length === 0) return [active.version, active.version];
  const newestOther = others.reduce((a, b) => (b.version > a.version ? b : a));
  return newestOther.version < active.version ? [newestOther.version, active.version] : [active.version, newestOther.version];
}

/** A copy without `null` members (stored documents spell out every optional key as null). */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== null) out[k] = withoutNulls(v);
    return out;
  }
  return value;
}

/** A policy document as text to edit: nulls dropped, two-space indentation, keys as stored. */
export function editableJson(value: unknown): string {
  return JSON.stringify(withoutNulls(value), null, 2);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** Reads hand-written JSON; the error names the line and column when the engine gives a position. */
export function parseJson(text: string): Parsed {
  if (!text.trim()) return { ok: false, error: 'Empty: write a JSON document.' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(message);
    if (pos) {
      const { line, column } = lineColumn(text, Number(pos[1]));
      return { ok: false, error: `Not valid JSON at line ${line}, column ${column}: ${message}` };
    }
    return { ok: false, error: `Not valid JSON: ${message}` };
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** A policy document must at least be a JSON object; the server checks the rest (and names the place). */
export function parsePolicy(text: string): Parsed {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  if (!isObject(parsed.value)) return { ok: false, error: 'A policy document is a JSON object ({ "rules": [...], "default": {...} }).' };
  if (!('default' in parsed.value)) return { ok: false, error: 'A policy document needs a "default" route.' };
  return parsed;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fields of SubmitActionInput, with the JSON type each takes. */
const ACTION_FIELDS: Record<string, 'string' | 'object' | 'number' | 'strings' | 'sources' | 'decimal'> = {
  workflowKey: 'string',
  idempotencyKey: 'string',
  actionType: 'string',
  title: 'string',
  action: 'object',
  recommendation: 'string',
  confidence: 'number',
  amount: 'decimal',
  currency: 'string',
  riskFlags: 'strings',
  sources: 'sources',
  context: 'object',
  model: 'string',
  promptVersion: 'string',
  costUsd: 'decimal',
};
const REQUIRED_ACTION_FIELDS = ['workflowKey', 'idempotencyKey', 'actionType', 'title', 'action'];

/** Reads a hand-written SubmitActionInput: JSON, an object, required fields there, known fields of the right type. */
export function parseActionInput(text: string): Parsed {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const v = parsed.value;
  if (!isObject(v)) return { ok: false, error: 'An action to simulate is a JSON object (a SubmitActionInput).' };
  const problems: string[] = [];
  for (const f of REQUIRED_ACTION_FIELDS) if (v[f] === undefined || v[f] === null) problems.push(`"${f}" is required`);
  for (const [k, val] of Object.entries(v)) {
    const kind = ACTION_FIELDS[k];
    if (!kind) {
      problems.push(`"${k}" is not a field of SubmitActionInput`);
      continue;
    }
    if (val === null) continue;
    const ok =
      kind === 'string'
        ? typeof val === 'string'
        : kind === 'object'
          ? isObject(val)
          : kind === 'number'
            ? typeof val === 'number'
            : kind === 'decimal'
              ? typeof val === 'string' && /^-?\d+(\.\d+)?$/.test(val)
              : kind === 'strings'
                ? Array.isArray(val) && val.every((x) => typeof x === 'string')
                : Array.isArray(val) && val.every((x) => isObject(x) && typeof x['title'] === 'string');
    if (!ok) problems.push(`"${k}" should be ${KIND_TEXT[kind]}`);
  }
  if (problems.length) return { ok: false, error: `${problems.join('; ')}.` };
  return parsed;
}

const KIND_TEXT = {
  string: 'a string',
  object: 'a JSON object',
  number: 'a number',
  decimal: 'a decimal string such as "12.50"',
  strings: 'a list of strings',
  sources: 'a list of { "title", "url", "excerpt" }',
} as const;

/** What is known of a stored request, to build an example action from. */
export interface RequestSample {
  actionType: string;
  title: string;
  action: unknown;
  recommendation?: string | null;
  confidence?: number | null;
  amount?: string | null;
  currency?: string | null;
  riskFlags?: readonly string[] | null;
  context?: unknown;
  model?: string | null;
  promptVersion?: string | null;
  costUsd?: string | null;
}

/** A SubmitActionInput to simulate: a recent request of the workflow, or a generic one. */
export function exampleAction(workflowKey: string, sample: RequestSample | null | undefined, idempotencyKey = 'simulation-1'): Record<string, unknown> {
  if (!sample) {
    return {
      workflowKey,
      idempotencyKey,
      actionType: 'example.action',
      title: 'Example action',
      action: { note: 'the action as the execution layer would receive it' },
      confidence: 0.95,
      amount: '25.00',
      currency: 'USD',
      riskFlags: [],
      context: {},
    };
  }
  const out: Record<string, unknown> = {
    workflowKey,
    idempotencyKey,
    actionType: sample.actionType,
    title: sample.title,
    action: sample.action ?? {},
  };
  const optional: [string, unknown][] = [
    ['recommendation', sample.recommendation],
    ['confidence', sample.confidence],
    ['amount', sample.amount],
    ['currency', sample.currency],
    ['riskFlags', sample.riskFlags ? [...sample.riskFlags] : undefined],
    ['context', sample.context],
    ['model', sample.model],
    ['promptVersion', sample.promptVersion],
    ['costUsd', sample.costUsd],
  ];
  for (const [k, v] of optional) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** `YYYY-MM-DDTHH:mm` in local time, the value of an <input type="datetime-local">. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An <input type="datetime-local"> value (local time) as RFC 3339 UTC; null when empty or invalid. */
export function fromLocalInput(value: string): string | null {
  if (!value.trim()) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The default backtest range: the last `days` days up to now (rounded to the minute). */
export function lastDays(days: number, now: Date = new Date()): { from: string; to: string } {
  const to = new Date(now.getTime());
  to.setSeconds(0, 0);
  to.setMinutes(to.getMinutes() + 1);
  const from = new Date(to.getTime() - days * 86_400_000);
  return { from: toLocalInput(from), to: toLocalInput(to) };
}

/** A line of a diff (as lib/diff.ts makes them). */
export interface DiffLineLike {
  kind: 'same' | 'add' | 'del';
  text: string;
}

/**
 * The changed lines with `context` unchanged lines around each change; longer unchanged runs
 * become one line `… N unchanged lines …`. A diff without changes is returned whole.
 */
export function compactDiff<T extends DiffLineLike>(lines: readonly T[], context = 3): DiffLineLike[] {
  const changedAt = lines.map((l) => l.kind !== 'same');
  if (!changedAt.some(Boolean)) return [...lines];
  const keep = lines.map((_, i) => {
    for (let d = -context; d <= context; d++) if (changedAt[i + d]) return true;
    return false;
  });
  const out: DiffLineLike[] = [];
  let skipped = 0;
  const flush = () => {
    if (skipped) out.push({ kind: 'same', text: `… ${skipped} unchanged line${skipped === 1 ? '' : 's'} …` });
    skipped = 0;
  };
  lines.forEach((l, i) => {
    if (keep[i]) {
      flush();
      out.push(l);
    } else skipped++;
  });
  flush();
  return out;
}
