// Shaping an analytics report for display: counts, money (Decimal strings, never floats), the
// series as chart columns, bucket labels. Pure functions, tested next door.

import type { Granularity } from '../gql/graphql';
import { money, percent } from './format';

/** A count as `5,000`. */
export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return n.toLocaleString('en-US');
}

/** A Decimal string in US dollars: `1234.5` → `$1,234.50`, `-12` → `−$12.00`; exact (never a float). */
export function usd(amount: string | null | undefined): string {
  const text = money(amount);
  if (text === '—' || amount === null || amount === undefined) return '—';
  if (!/^-?[\d,]+\.\d+$/.test(text)) return text;
  return text.startsWith('-') ? `−$${text.slice(1)}` : `$${text}`;
}

/** Hours with at most one decimal: `683.97` → `684.0 h`. */
export function hours(h: number | null | undefined): string {
  if (h === null || h === undefined || Number.isNaN(h)) return '—';
  return `${h.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} h`;
}

/** ROI (net value / total cost) as a percentage; `null` (no cost) as a dash. */
export function roiText(roi: number | null | undefined): string {
  return percent(roi);
}

/** `n / d`, or null when `d` is zero (like the report's rates). */
export function rate(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

export interface TotalsLike {
  autoApproved: number;
  humanApproved: number;
  rejected: number;
}

/** `autoApproved + humanApproved + rejected`. */
export function decided(t: TotalsLike): number {
  return t.autoApproved + t.humanApproved + t.rejected;
}

/**
 * A Decimal string as a number, for plotting only (a chart needs positions, not cents). Display
 * always uses the string.
 */
export function plotNumber(amount: string | null | undefined): number | null {
  if (amount === null || amount === undefined || amount.trim() === '') return null;
  const n = Number(amount);
  return Number.isFinite(n) ? n : null;
}

export interface SeriesPointLike {
  bucketStart: string;
  submitted: number;
  autoApproved: number;
  humanApproved: number;
  rejected: number;
  errors: number;
  p50CycleSeconds?: number | null;
  aiCostUsd: string;
}

/** The series as chart columns: x in Unix seconds, y arrays aligned with it. */
export interface SeriesColumns {
  x: number[];
  submitted: number[];
  autoApproved: number[];
  humanApproved: number[];
  rejected: number[];
  errors: number[];
  /** autoApproved / decided per bucket, in percent; null when nothing was decided. */
  autoApprovalPct: (number | null)[];
  /** errors / (autoApproved + humanApproved) per bucket, in percent; null when nothing was approved. */
  errorPct: (number | null)[];
  /** Median cycle time per bucket, in hours. */
  p50Hours: (number | null)[];
  /** AI cost per bucket, in dollars (plotting only). */
  aiCost: (number | null)[];
}

export function seriesColumns(series: readonly SeriesPointLike[]): SeriesColumns {
  const pct = (v: number | null) => (v === null ? null : v * 100);
  return {
    x: series.map((p) => Math.floor(new Date(p.bucketStart).getTime() / 1000)),
    submitted: series.map((p) => p.submitted),
    autoApproved: series.map((p) => p.autoApproved),
    humanApproved: series.map((p) => p.humanApproved),
    rejected: series.map((p) => p.rejected),
    errors: series.map((p) => p.errors),
    autoApprovalPct: series.map((p) => pct(rate(p.autoApproved, decided(p)))),
    errorPct: series.map((p) => pct(rate(p.errors, p.autoApproved + p.humanApproved))),
    p50Hours: series.map((p) => (p.p50CycleSeconds === null || p.p50CycleSeconds === undefined ? null : p.p50CycleSeconds / 3600)),
    aiCost: series.map((p) => plotNumber(p.aiCostUsd)),
  };
}

/** The instant a bucket that starts at `start` ends (UTC). */
export function bucketEnd(start: Date, granularity: Granularity): Date {
  const t = new Date(start.getTime());
  if (granularity === 'DAY') t.setUTCDate(t.getUTCDate() + 1);
  else if (granularity === 'WEEK') t.setUTCDate(t.getUTCDate() + 7);
  else t.setUTCMonth(t.getUTCMonth() + 1);
  return t;
}

/** True when the last bucket is not over yet at `now` (its figures are still growing). */
export function lastBucketOpen(series: readonly { bucketStart: string }[], granularity: Granularity, now: Date): boolean {
  const last = series[series.length - 1];
  if (!last) return false;
  return bucketEnd(new Date(last.bucketStart), granularity).getTime() > now.getTime();
}

/** A bucket in words: `Nov 3, 2026`, `Week of Nov 2, 2026`, `November 2026` (UTC). */
export function bucketLabel(iso: string, granularity: Granularity): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  if (granularity === 'MONTH') return t.toLocaleDateString('en-US', { timeZone: 'UTC', month: 'long', year: 'numeric' });
  const day = t.toLocaleDateString('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric', year: 'numeric' });
  return granularity === 'WEEK' ? `Week of ${day}` : day;
}

/** A short tick label for a bucket start given in Unix seconds: `Nov 3` or `Nov 2026` (UTC). */
export function tickLabel(seconds: number, granularity: Granularity): string {
  const t = new Date(seconds * 1000);
  return granularity === 'MONTH'
    ? t.toLocaleDateString('en-US', { timeZone: 'UTC', month: 'short', year: 'numeric' })
    : t.toLocaleDateString('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric' });
}

/** Which of `xs` get a tick so that ticks are at least `minGap` pixels apart on `width` pixels. */
export function thinTicks(xs: readonly number[], width: number, minGap: number): number[] {
  if (xs.length === 0) return [];
  const room = Math.max(1, Math.floor(width / minGap));
  const step = Math.max(1, Math.ceil(xs.length / room));
  return xs.filter((_, i) => i % step === 0);
}

/** A short number for an axis: `1200` → `1.2k`, `0.5` → `0.5`. */
export function axisNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1_000_000) return `${+(v / 1_000_000).toFixed(1)}M`;
  if (a >= 1000) return `${+(v / 1000).toFixed(1)}k`;
  if (a >= 10 || a === 0) return `${Math.round(v)}`;
  return `${+v.toFixed(2)}`;
}
