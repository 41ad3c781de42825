// The leaders' ROI dashboard (its code is loaded on first visit, see pages/Dashboard.tsx): `analytics(filter)` for a range, a granularity and some
// workflows — totals, rates, cycle time, cost and value, overall, per workflow and over time.
// Every number says how it is computed (lib/metrics.ts, from docs/analytics.md); money stays a
// Decimal string for display. The choices live in the URL so a view can be shared.

import type { ComponentChildren } from 'preact';
import { useMemo, useRef } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { useQuery } from '@urql/preact';
import { graphql } from '../../gql';
import type { AnalyticsFilter, DashboardAnalyticsQuery, Granularity } from '../../gql/graphql';
import { ErrorBox, Figure, Loading } from '../common';
import { TimeChart, type ChartLine, type ChartTable } from './TimeChart';
import { RejectionReasons, WorkflowTable } from './parts';
import './dashboard.css';
import { duration, percent } from '../../lib/format';
import { axisNumber, bucketLabel, count, decided, hours, lastBucketOpen, roiText, seriesColumns, usd } from '../../lib/analytics';
import { how, label, type MetricKey } from '../../lib/metrics';
import {
  DEFAULT_STATE, GRANULARITIES, RANGE_PRESETS, describeRange, parseState, presetDates, serializeState, toFilter,
  type DashboardState, type RangePreset,
} from '../../lib/range';

const WorkflowsQuery = graphql(`
  query DashboardWorkflows {
    workflows {
      key
      name
    }
  }
`);

// Fragments shared by the whole report and each workflow (the generated document includes them).
graphql(`
  fragment DashTotals on Totals {
    submitted
    autoApproved
    humanApproved
    rejected
    pending
    expired
    cancelled
    executed
    executionFailed
    rolledBack
    sampled
    sampledIncorrect
  }
`);

graphql(`
  fragment DashCycle on CycleTime {
    count
    p50Seconds
    p90Seconds
    p99Seconds
    meanSeconds
  }
`);

graphql(`
  fragment DashCost on CostSummary {
    aiCostUsd
    reviewCostUsd
    totalCostUsd
    costPerRequestUsd
  }
`);

graphql(`
  fragment DashRoi on RoiSummary {
    hoursSaved
    valueSavedUsd
    netValueUsd
    roi
  }
`);

const AnalyticsQuery = graphql(`
  query DashboardAnalytics($filter: AnalyticsFilter) {
    analytics(filter: $filter) {
      totals {
        ...DashTotals
      }
      autoApprovalRate
      humanApprovalRate
      rejectionRate
      editRate
      errorRate
      slaBreachRate
      cycleTime {
        ...DashCycle
      }
      rejectionReasons {
        reasonCode
        count
        share
      }
      cost {
        ...DashCost
      }
      roi {
        ...DashRoi
      }
      byWorkflow {
        workflowKey
        totals {
          ...DashTotals
        }
        autoApprovalRate
        rejectionRate
        errorRate
        cycleTime {
          ...DashCycle
        }
        cost {
          ...DashCost
        }
        roi {
          ...DashRoi
        }
      }
      series {
        bucketStart
        submitted
        autoApproved
        humanApproved
        rejected
        errors
        p50CycleSeconds
        aiCostUsd
      }
    }
  }
`);

type Report = DashboardAnalyticsQuery['analytics'];

/** The dashboard itself (loaded on first visit by pages/Dashboard.tsx). */
export function DashboardView() {
  const { query, route, path } = useLocation();
  const state = useMemo(() => parseState(query), [query]);
  const now = new Date();
  const chosen = toFilter(state, now);
  const filterKey = JSON.stringify(chosen.filter ?? null);
  // Stable variables: a new object only when the filter itself changes.
  const variables = useMemo(() => ({ filter: chosen.filter ?? null }), [filterKey]);

  const [workflows] = useQuery({ query: WorkflowsQuery });
  const [result] = useQuery({ query: AnalyticsQuery, variables, pause: !chosen.filter });

  // Keep showing the last report while the next one loads, so the page does not jump.
  // Each report is shown with the granularity it was computed for.
  const last = useRef<{ report: Report; granularity: Granularity; from: string | null } | undefined>(undefined);
  if (result.data) {
    const asked = (result.operation?.variables as { filter?: AnalyticsFilter | null } | undefined)?.filter;
    last.current = { report: result.data.analytics, granularity: asked?.granularity ?? state.granularity, from: asked?.from ?? null };
  }
  const shown = result.data || result.fetching ? last.current : undefined;
  const report = shown?.report;

  const set = (patch: Partial<DashboardState>) => {
    const next = { ...state, ...patch };
    const qs = serializeState(next);
    route(`${path}${qs ? `?${qs}` : ''}`, true);
  };

  const setRange = (range: RangePreset) => {
    if (range === 'custom' && (!state.from || !state.to)) {
      set({ range, ...presetDates(state.range === 'custom' ? DEFAULT_STATE.range : state.range, now) });
    } else set({ range });
  };

  const names = useMemo(() => new Map((workflows.data?.workflows ?? []).map((w) => [w.key, w.name])), [workflows.data]);
  const toggleWorkflow = (key: string, on: boolean) => {
    const next = on ? [...state.workflows, key] : state.workflows.filter((k) => k !== key);
    set({ workflows: (workflows.data?.workflows ?? []).map((w) => w.key).filter((k) => next.includes(k)) });
  };

  return (
    <section class="dash" aria-busy={result.fetching}>
      <div class="dash-head">
        <h1>Dashboard</h1>
        <p class="muted small" role="status">
          {result.fetching ? 'Updating…' : report ? `Figures as of ${now.toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit' })}` : ''}
        </p>
      </div>

      <form class="panel dash-filters" aria-label="Dashboard filters" onSubmit={(e) => e.preventDefault()}>
        <div class="filter-field">
          <label for="dash-range">Range</label>
          <select id="dash-range" value={state.range} onChange={(e) => setRange(e.currentTarget.value as RangePreset)}>
            {RANGE_PRESETS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        {state.range === 'custom' && (
          <>
            <div class="filter-field">
              <label for="dash-from">First day</label>
              <input id="dash-from" type="date" value={state.from} max={state.to || undefined} onChange={(e) => set({ from: e.currentTarget.value })} />
            </div>
            <div class="filter-field">
              <label for="dash-to">Last day</label>
              <input id="dash-to" type="date" value={state.to} min={state.from || undefined} onChange={(e) => set({ to: e.currentTarget.value })} />
            </div>
          </>
        )}
        <div class="filter-field">
          <label for="dash-granularity">Granularity</label>
          <select id="dash-granularity" value={state.granularity} onChange={(e) => set({ granularity: e.currentTarget.value as Granularity })}>
            {GRANULARITIES.map((g) => (
              <option key={g.value} value={g.value}>
                {g.label}
              </option>
            ))}
          </select>
        </div>
        <fieldset class="filter-workflows">
          <legend>Workflows</legend>
          {workflows.error && <ErrorBox error={workflows.error} />}
          {(workflows.data?.workflows ?? []).map((w) => (
            <label class="inline" key={w.key}>
              <input type="checkbox" checked={state.workflows.includes(w.key)} onChange={(e) => toggleWorkflow(w.key, e.currentTarget.checked)} />
              {w.name}
            </label>
          ))}
          {state.workflows.length > 0 ? (
            <button type="button" class="link" onClick={() => set({ workflows: [] })}>
              All workflows
            </button>
          ) : (
            <span class="muted small">None ticked: all workflows.</span>
          )}
        </fieldset>
      </form>

      <p class="dash-scope">
        <strong>{describeRange(state, now)}</strong>
        {state.workflows.length > 0 && <> · {state.workflows.map((k) => names.get(k) ?? k).join(', ')}</>}
        <span class="muted"> · {how('scope')}</span>
      </p>

      {chosen.error && (
        <p class="warn" role="alert">
          {chosen.error}
        </p>
      )}
      <ErrorBox error={result.error} />
      {!report && result.fetching && <Loading what="the figures" />}
      {shown && <ReportView report={shown.report} granularity={shown.granularity} from={shown.from} names={names} now={now} />}
    </section>
  );
}

function Fig({ metric, value, name }: { metric: MetricKey; value: ComponentChildren; name?: string }) {
  return <Figure label={name ?? label(metric)} value={value} how={how(metric)} />;
}

function ReportView(props: { report: Report; granularity: Granularity; names: Map<string, string>; now: Date; from?: string | null }) {
  const { report, granularity, names, now, from } = props;
  const t = report.totals;
  return (
    <>
      <h2 id="dash-overview">Overview</h2>
      <div class="dash-figures" role="group" aria-labelledby="dash-overview">
        {/* The test id is on the number itself, so its text is exactly the count (e.g. 5,000). */}
        <Fig metric="totals.submitted" value={<span data-testid="total-submitted">{t.submitted.toLocaleString('en-US')}</span>} />
        <Fig metric="autoApprovalRate" value={percent(report.autoApprovalRate)} />
        <Fig metric="roi.hoursSaved" value={hours(report.roi.hoursSaved)} />
        <Fig metric="roi.valueSavedUsd" value={usd(report.roi.valueSavedUsd)} />
        <Fig metric="roi.netValueUsd" value={usd(report.roi.netValueUsd)} />
        <Fig metric="roi.roi" value={roiText(report.roi.roi)} />
      </div>

      <h2 id="dash-over-time">Over time</h2>
      <Charts report={report} granularity={granularity} now={now} from={from} />

      <div class="dash-columns">
        <div>
          <h2 id="dash-outcomes">Outcomes</h2>
          <div class="dash-figures" role="group" aria-labelledby="dash-outcomes">
            <Fig metric="totals.decided" value={count(decided(t))} />
            <Fig metric="totals.autoApproved" value={count(t.autoApproved)} />
            <Fig metric="totals.humanApproved" value={count(t.humanApproved)} />
            <Fig metric="totals.rejected" value={count(t.rejected)} />
            <Fig metric="humanApprovalRate" value={percent(report.humanApprovalRate)} />
            <Fig metric="rejectionRate" value={percent(report.rejectionRate)} />
            <Fig metric="editRate" value={percent(report.editRate)} />
            <Fig metric="totals.pending" value={count(t.pending)} />
            <Fig metric="totals.expired" value={count(t.expired)} />
            <Fig metric="totals.cancelled" value={count(t.cancelled)} />
          </div>
        </div>
        <div>
          <h2 id="dash-quality">Quality and speed</h2>
          <div class="dash-figures" role="group" aria-labelledby="dash-quality">
            <Fig metric="errorRate" value={percent(report.errorRate)} />
            <Fig metric="slaBreachRate" value={percent(report.slaBreachRate)} />
            <Fig metric="cycleTime.p50Seconds" value={duration(report.cycleTime.p50Seconds)} />
            <Fig metric="cycleTime.p90Seconds" value={duration(report.cycleTime.p90Seconds)} />
            <Fig metric="cycleTime.count" value={count(report.cycleTime.count)} />
            <Fig metric="totals.executed" value={count(t.executed)} />
            <Fig metric="totals.executionFailed" value={count(t.executionFailed)} />
            <Fig metric="totals.rolledBack" value={count(t.rolledBack)} />
            <Fig metric="totals.sampled" value={count(t.sampled)} />
            <Fig metric="totals.sampledIncorrect" value={count(t.sampledIncorrect)} />
          </div>
        </div>
      </div>

      <h2 id="dash-cost">Cost</h2>
      <div class="dash-figures" role="group" aria-labelledby="dash-cost">
        <Fig metric="cost.aiCostUsd" value={usd(report.cost.aiCostUsd)} />
        <Fig metric="cost.reviewCostUsd" value={usd(report.cost.reviewCostUsd)} />
        <Fig metric="cost.totalCostUsd" value={usd(report.cost.totalCostUsd)} />
        <Fig metric="cost.costPerRequestUsd" value={usd(report.cost.costPerRequestUsd)} />
      </div>

      <h2 id="dash-reasons">
        Top rejection reasons
      </h2>
      <p class="muted small">{how('rejectionReason')}</p>
      <RejectionReasons reasons={report.rejectionReasons} />

      <h2 id="dash-workflows">By workflow</h2>
      <WorkflowTable rows={report.byWorkflow} names={names} />
    </>
  );
}

const COLORS = {
  submitted: '#1b1f24',
  auto: '#0b57d0',
  human: '#146c2e',
  rejected: '#b3261e',
  error: '#b3261e',
  cycle: '#6a3fb5',
  cost: '#0a6e74',
};

const pct = (v: number) => `${v.toFixed(1)}%`;
const pctAxis = (v: number) => `${+v.toFixed(1)}%`;
const hoursAxis = (v: number) => `${axisNumber(v)} h`;
const hoursValue = (v: number) => duration(v * 3600);
const usdAxis = (v: number) => `$${axisNumber(v)}`;
const usdValue = (v: number) => `$${v.toFixed(2)}`;
const countValue = (v: number) => count(v);

function Charts({ report, granularity, now, from }: { report: Report; granularity: Granularity; now: Date; from?: string | null }) {
  const series = report.series;
  const charts = useMemo(() => {
    const c = seriesColumns(series);
    const labels = series.map((p) => bucketLabel(p.bucketStart, granularity));
    const table = (columns: string[], cell: (i: number) => string[]): ChartTable => ({
      columns,
      rows: labels.map((l, i) => ({ label: l, cells: cell(i) })),
    });
    const volume: ChartLine[] = [
      { label: 'Submitted', values: c.submitted, color: COLORS.submitted, format: countValue },
      { label: 'Auto-approved', values: c.autoApproved, color: COLORS.auto, dash: [], format: countValue },
      { label: 'Human-approved', values: c.humanApproved, color: COLORS.human, dash: [8, 4], format: countValue },
      { label: 'Rejected', values: c.rejected, color: COLORS.rejected, dash: [2, 3], format: countValue },
    ];
    const rates: ChartLine[] = [
      { label: 'Auto-approval rate', values: c.autoApprovalPct, color: COLORS.auto, format: pct },
      { label: 'Error rate', values: c.errorPct, color: COLORS.error, dash: [6, 4], format: pct },
    ];
    const cycle: ChartLine[] = [{ label: 'Median cycle time', values: c.p50Hours, color: COLORS.cycle, format: hoursValue }];
    const cost: ChartLine[] = [{ label: 'AI cost', values: c.aiCost, color: COLORS.cost, format: usdValue }];
    return {
      x: c.x,
      volume,
      volumeTable: table(['Submitted', 'Auto-approved', 'Human-approved', 'Rejected'], (i) => [
        count(c.submitted[i]),
        count(c.autoApproved[i]),
        count(c.humanApproved[i]),
        count(c.rejected[i]),
      ]),
      rates,
      ratesTable: table(['Auto-approval rate', 'Error rate', 'Errors'], (i) => {
        const a = c.autoApprovalPct[i];
        const e = c.errorPct[i];
        return [a === null || a === undefined ? '—' : pct(a), e === null || e === undefined ? '—' : pct(e), count(c.errors[i])];
      }),
      cycle,
      cycleTable: table(['Median cycle time'], (i) => [duration(series[i]?.p50CycleSeconds)]),
      cost,
      // The exact Decimal strings, not the plotted numbers.
      costTable: table(['AI cost'], (i) => [usd(series[i]?.aiCostUsd)]),
    };
  }, [series, granularity]);

  const unit = granularity === 'MONTH' ? 'month' : granularity === 'WEEK' ? 'week' : 'day';
  const open = lastBucketOpen(series, granularity, now);
  const firstStart = series[0]?.bucketStart;
  const partialFirst = !!from && !!firstStart && new Date(firstStart).getTime() < new Date(from).getTime();
  const joinHow = (keys: MetricKey[]) => keys.map((k) => `${label(k)}: ${how(k)}`).join(' ');
  return (
    <>
      <p class="muted small">
        Buckets are UTC {unit}s{granularity === 'WEEK' ? ' starting on Monday' : ''}.
        {partialFirst && ` The first ${unit} starts before the range: it holds only the requests submitted in the range.`}
        {open && ` The last ${unit} is not over yet: its figures are still growing.`}
      </p>
      <div class="dash-charts">
        <TimeChart
          title={`Requests per ${unit}`}
          how={joinHow(['series.submitted', 'series.autoApproved', 'series.humanApproved', 'series.rejected'])}
          x={charts.x}
          lines={charts.volume}
          granularity={granularity}
          yFormat={axisNumber}
          table={charts.volumeTable}
        />
        <TimeChart
          title={`Auto-approval and error rates per ${unit}`}
          how={joinHow(['bucketAutoApprovalRate', 'bucketErrorRate'])}
          x={charts.x}
          lines={charts.rates}
          granularity={granularity}
          yFormat={pctAxis}
          table={charts.ratesTable}
        />
        <TimeChart
          title={`Median cycle time per ${unit}`}
          how={how('series.p50CycleSeconds')}
          x={charts.x}
          lines={charts.cycle}
          granularity={granularity}
          yFormat={hoursAxis}
          table={charts.cycleTable}
        />
        <TimeChart
          title={`AI cost per ${unit}`}
          how={how('series.aiCostUsd')}
          x={charts.x}
          lines={charts.cost}
          granularity={granularity}
          yFormat={usdAxis}
          table={charts.costTable}
        />
      </div>
    </>
  );
}
