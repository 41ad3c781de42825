// Display helpers. Money stays a decimal string end to end (the API's Decimal scalar): it is
// formatted by splitting the string, never by parsing it into a float.

/** `1234.5` → `1,234.50`; with a currency, `USD 1,234.50`. Unparseable input is shown as given. */
export function money(amount: string | null | undefined, currency?: string | null): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) return amount;
  const [, sign = '', whole = '0', frac = ''] = m;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = frac.length >= 2 ? frac : frac.padEnd(2, '0');
  const text = `${sign}${grouped}.${cents}`;
  return currency ? `${currency} ${text}` : text;
}

/** A 0..1 share as a percentage with one decimal: `0.8766` → `87.7%`. */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return '—';
  return `${(share * 100).toFixed(1)}%`;
}

/** A confidence 0..1 as a whole percentage. */
export function confidence(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return `${Math.round(value * 100)}%`;
}

/** Seconds as the largest sensible unit: `90` → `1.5 min`, `7200` → `2.0 h`. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.abs(seconds);
  if (s < 60) return `${seconds.toFixed(0)} s`;
  if (s < 3600) return `${(seconds / 60).toFixed(1)} min`;
  if (s < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** An RFC 3339 time in the viewer's locale, to the minute. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** How far `iso` is from `now`: `in 3 h`, `12 min ago`. */
export function relative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = (t - now.getTime()) / 1000;
  const text = duration(Math.abs(diff));
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** True when `iso` is in the past. */
export function isOverdue(iso: string | null | undefined, now: Date = new Date()): boolean {
  if (!iso) return false;
  const t = new Date(iso).getTime();
  return !Number.isNaN(t) && t < now.getTime();
}

/** JSON pretty-printed with two spaces and keys in a stable (sorted) order. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
