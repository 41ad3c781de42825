// A line chart over the report's buckets, drawn with uPlot (loaded on first use, so pages
// without charts never download it). It has an accessible name, a text alternative (the data
// as a table), follows its container's width (ResizeObserver) and labels buckets in UTC.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type uPlotType from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Granularity } from '../../gql/graphql';
import { thinTicks, tickLabel } from '../../lib/analytics';

type UPlot = typeof uPlotType;
let loading: Promise<UPlot> | null = null;
function loadUPlot(): Promise<UPlot> {
  loading ??= import('uplot').then((m) => m.default);
  return loading;
}

export interface ChartLine {
  label: string;
  values: (number | null)[];
  color: string;
  /** Canvas dash pattern, so lines differ by more than colour. */
  dash?: number[];
  /** A value as shown in the live legend. */
  format: (v: number) => string;
}

export interface ChartTable {
  columns: string[];
  rows: { label: string; cells: string[] }[];
}

/** `Median cycle time` → `median cycle time`; `AI cost` stays. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
const AXIS = { stroke: '#4f5a66', font: FONT, grid: { stroke: '#e3e7eb', width: 1 }, ticks: { stroke: '#c4cbd3', width: 1, size: 4 } };

export function TimeChart(props: {
  title: string;
  /** How the plotted figures are computed (tooltip and text for assistive technology). */
  how: string;
  x: number[];
  lines: ChartLine[];
  granularity: Granularity;
  /** Tick label on the value axis. */
  yFormat: (v: number) => string;
  /** Start the value axis at zero (counts, money) rather than fit the data. */
  fromZero?: boolean;
  table: ChartTable;
  height?: number;
}) {
  const { title, how, x, lines, granularity, yFormat, fromZero = true, table, height = 220 } = props;
  const box = useRef<HTMLDivElement>(null);
  const [lib, setLib] = useState<UPlot | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const id = useId();

  useEffect(() => {
    let live = true;
    loadUPlot().then(
      (u) => live && setLib(() => u),
      (e: unknown) => live && setFailed(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    const el = box.current;
    if (!lib || !el) return;
    const uPlot = lib;
    const width = Math.max(200, Math.floor(el.clientWidth));
    const few = x.length <= 45;
    // Half a bucket of room on each side, so the first and last points and labels are not cut.
    const step = x.length > 1 ? (x[1] as number) - (x[0] as number) : granularity === 'MONTH' ? 30 * 86400 : granularity === 'WEEK' ? 7 * 86400 : 86400;
    const chart = new uPlot(
      {
        width,
        height,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
        legend: {
          show: true,
          live: true,
          // The legend's sample line is dashed or dotted like the series (not only its colour).
          markers: { dash: (_u, i) => { const d = lines[i - 1]?.dash; return !d || d.length === 0 ? 'solid' : (d[0] ?? 0) <= 2 ? 'dotted' : 'dashed'; } },
        },
        padding: [8, 8, 0, 0],
        scales: {
          x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] },
          y: {
            range: (_u, min, max) => {
              const lo = fromZero ? 0 : Math.min(min ?? 0, 0);
              const hi = max === null || max === undefined || !Number.isFinite(max) || max <= lo ? lo + 1 : max;
              return uPlot.rangeNum(lo, hi, 0.1, true);
            },
          },
        },
        series: [
          {
            label: granularity === 'MONTH' ? 'Month' : granularity === 'WEEK' ? 'Week of' : 'Day',
            value: (_u, ts) => (ts === null || ts === undefined ? '—' : tickLabel(ts, granularity)),
          },
          ...lines.map((l) => ({
            label: l.label,
            stroke: l.color,
            width: 2,
            ...(l.dash ? { dash: l.dash } : {}),
            spanGaps: false,
            points: { show: true, size: few ? 5 : 3, fill: l.color },
            value: (_u: unknown, v: number | null) => (v === null || v === undefined ? '—' : l.format(v)),
          })),
        ],
        axes: [
          {
            ...AXIS,
            space: 64,
            size: 34,
            splits: (u) => thinTicks(x, u.bbox.width / uPlot.pxRatio, 64),
            values: (_u, splits) => splits.map((s) => tickLabel(s, granularity)),
          },
          { ...AXIS, size: 52, values: (_u, splits) => splits.map((s) => yFormat(s)) },
        ],
      },
      [x, ...lines.map((l) => l.values)],
      el,
    );
    const observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? el.clientWidth);
      if (w > 0 && Math.abs(w - chart.width) >= 1) chart.setSize({ width: Math.max(200, w), height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [lib, x, lines, granularity, yFormat, fromZero, height]);

  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const first = table.rows[0]?.label;
  const last = table.rows[table.rows.length - 1]?.label;
  const summary =
    x.length === 0
      ? 'No data in this range.'
      : `Line chart of ${lines.map((l) => lowerFirst(l.label)).join(', ')} over ${x.length} ${x.length === 1 ? 'bucket' : 'buckets'}, ${first} to ${last}. The data table below holds every value.`;

  return (
    <figure class="chart" aria-labelledby={titleId}>
      <figcaption id={titleId} class="chart-title">
        {title}
        <span class="how" tabIndex={0} role="note" aria-label={`How ${title} is computed: ${how}`} title={how}>
          ?
        </span>
      </figcaption>
      {failed ? (
        <p class="alert">The chart could not be drawn: {failed}</p>
      ) : x.length === 0 ? (
        <p class="muted chart-empty">No requests in this range.</p>
      ) : (
        <div ref={box} class="chart-canvas" role="img" aria-label={`${title}. ${summary}`} aria-describedby={descId} style={{ minHeight: `${height}px` }} />
      )}
      <p id={descId} class="sr-only">
        {how}
      </p>
      {x.length > 0 && (
        <details class="chart-data">
          <summary>Data table: {lowerFirst(title)}</summary>
          <div class="table-scroll" role="region" aria-label={`${title}, data`} tabIndex={0}>
            <table>
              <caption class="sr-only">{title}, one row per bucket</caption>
              <thead>
                <tr>
                  <th scope="col">{granularity === 'MONTH' ? 'Month' : granularity === 'WEEK' ? 'Week' : 'Day'} (UTC)</th>
                  {table.columns.map((c) => (
                    <th scope="col" class="num" key={c}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {table.rows.map((r, i) => (
                  <tr key={i}>
                    <th scope="row">{r.label}</th>
                    {r.cells.map((c, j) => (
                      <td class="num" key={j}>
                        {c}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}
