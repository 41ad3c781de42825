// The dashboard's choices (range, granularity, workflows) ⇄ the URL query and the analytics
// filter. Days are UTC days, like the report's buckets.

import type { AnalyticsFilter, Granularity } from '../gql/graphql';

export type RangePreset = '7d' | '30d' | '90d' | 'custom';

export const RANGE_PRESETS: { value: RangePreset; label: string; days: number | null }[] = [
  { value: '7d', label: 'Last 7 days', days: 7 },
  { value: '30d', label: 'Last 30 days', days: 30 },
  { value: '90d', label: 'Last 90 days', days: 90 },
  { value: 'custom', label: 'Custom dates', days: null },
];

export const GRANULARITIES: { value: Granularity; label: string }[] = [
  { value: 'DAY', label: 'Day' },
  { value: 'WEEK', label: 'Week' },
  { value: 'MONTH', label: 'Month' },
];

export interface DashboardState {
  range: RangePreset;
  /** `YYYY-MM-DD`, first day included (custom range only). */
  from: string;
  /** `YYYY-MM-DD`, last day included (custom range only). */
  to: string;
  granularity: Granularity;
  /** Workflow keys; empty means all. */
  workflows: string[];
}

export const DEFAULT_STATE: DashboardState = { range: '30d', from: '', to: '', granularity: 'DAY', workflows: [] };

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight UTC of the day holding `t`. */
export function startOfUtcDay(t: Date): Date {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
}

/** `YYYY-MM-DD` of `t` in UTC. */
export function isoDate(t: Date): string {
  return t.toISOString().slice(0, 10);
}

/** Midnight UTC of a `YYYY-MM-DD` date, or null when it is not a real date. */
export function parseDate(text: string): Date | null {
  const m = DATE_RE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
  return t;
}

function presetDays(range: RangePreset): number | null {
  return RANGE_PRESETS.find((p) => p.value === range)?.days ?? null;
}

/**
 * The first and last day a preset covers: the `days` full UTC days before today, and today so
 * far (so "last 30 days" on Dec 1 starts Nov 1 and holds everything submitted since).
 */
export function presetDates(range: RangePreset, now: Date): { from: string; to: string } {
  const days = presetDays(range) ?? 30;
  const today = startOfUtcDay(now);
  return { from: isoDate(new Date(today.getTime() - days * DAY_MS)), to: isoDate(today) };
}

/** The analytics filter for the choices, or why there is none (an unfinished custom range). */
export function toFilter(state: DashboardState, now: Date): { filter: AnalyticsFilter; error?: undefined } | { filter?: undefined; error: string } {
  const filter: AnalyticsFilter = { granularity: state.granularity };
  if (state.workflows.length > 0) filter.workflowKeys = [...state.workflows].sort();
  if (state.range === 'custom') {
    const from = parseDate(state.from);
    const to = parseDate(state.to);
    if (!from || !to) return { error: 'Choose a first and a last day for the custom range.' };
    if (from.getTime() > to.getTime()) return { error: 'The first day must not be after the last day.' };
    filter.from = from.toISOString();
    filter.to = new Date(to.getTime() + DAY_MS).toISOString();
    return { filter };
  }
  const days = presetDays(state.range) ?? 30;
  filter.from = new Date(startOfUtcDay(now).getTime() - days * DAY_MS).toISOString();
  return { filter };
}

function dayText(t: Date): string {
  return t.toLocaleDateString('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric', year: 'numeric' });
}

/** What the range covers, in words: `Nov 1, 2026 – now (UTC)`. */
export function describeRange(state: DashboardState, now: Date): string {
  if (state.range === 'custom') {
    const from = parseDate(state.from);
    const to = parseDate(state.to);
    if (!from || !to) return 'Custom range (incomplete)';
    return `${dayText(from)} – ${dayText(to)} (UTC, both days included)`;
  }
  const { from } = presetDates(state.range, now);
  return `${dayText(parseDate(from) as Date)} – now (UTC)`;
}

function isGranularity(v: string | undefined): v is Granularity {
  return v === 'DAY' || v === 'WEEK' || v === 'MONTH';
}

function isPreset(v: string | undefined): v is RangePreset {
  return RANGE_PRESETS.some((p) => p.value === v);
}

/** The choices in a URL query (`range`, `from`, `to`, `g`, `wf`), defaults for anything missing or wrong. */
export function parseState(query: Record<string, string | undefined>): DashboardState {
  const range = isPreset(query['range']) ? query['range'] : DEFAULT_STATE.range;
  const granularity = isGranularity(query['g']) ? query['g'] : DEFAULT_STATE.granularity;
  const workflows = (query['wf'] ?? '')
    .split(',')
    .map((w) => w.trim())
    .filter((w, i, all) => w !== '' && all.indexOf(w) === i);
  return {
    range,
    from: range === 'custom' ? (query['from'] ?? '') : '',
    to: range === 'custom' ? (query['to'] ?? '') : '',
    granularity,
    workflows,
  };
}

/** The URL query of the choices, without the leading `?`; defaults are left out. */
export function serializeState(state: DashboardState): string {
  const params = new URLSearchParams();
  if (state.range !== DEFAULT_STATE.range) params.set('range', state.range);
  if (state.range === 'custom') {
    if (state.from) params.set('from', state.from);
    if (state.to) params.set('to', state.to);
  }
  if (state.granularity !== DEFAULT_STATE.granularity) params.set('g', state.granularity);
  if (state.workflows.length > 0) params.set('wf', state.workflows.join(','));
  return params.toString();
}
