// Small pieces of the dashboard: a "how is it computed" marker for table headers, the
// rejection reasons and the per-workflow table.

import { useState } from 'preact/hooks';
import { duration, percent } from '../../lib/format';
import { count, hours, roiText, usd } from '../../lib/analytics';
import { how, label, type MetricKey } from '../../lib/metrics';

/** The `?` marker with a metric's definition (as in `Figure`). */
export function How({ metric, name }: { metric: MetricKey; name?: string }) {
  const text = how(metric);
  return (
    <span class="how" tabIndex={0} role="note" aria-label={`How ${name ?? label(metric)} is computed: ${text}`} title={text}>
      ?
    </span>
  );
}

/** A column header with its definition. */
export function Th({ metric, name, num = true }: { metric: MetricKey; name?: string; num?: boolean }) {
  return (
    <th scope="col" class={num ? 'num' : undefined}>
      <span class="th-how">
        {name ?? label(metric)}
        <How metric={metric} name={name} />
      </span>
    </th>
  );
}

export interface Reason {
  reasonCode: string;
  count: number;
  share: number;
}

const REASONS_SHOWN = 8;

export function RejectionReasons({ reasons }: { reasons: Reason[] }) {
  const [all, setAll] = useState(false);
  if (reasons.length === 0) return <p class="muted">No rejected request in this range.</p>;
  const shown = all ? reasons : reasons.slice(0, REASONS_SHOWN);
  const top = reasons[0]?.share ?? 1;
  return (
    <>
      <table class="reasons">
        <thead>
          <tr>
            <th scope="col">Reason code</th>
            <Th metric="reasonCount" />
            <Th metric="reasonShare" />
            <th scope="col" aria-hidden="true" class="bar-col" />
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={r.reasonCode}>
              <td data-label="Reason code">
                <code>{r.reasonCode}</code>
              </td>
              <td data-label="Count" class="num">
                {count(r.count)}
              </td>
              <td data-label="Share" class="num">
                {percent(r.share)}
              </td>
              <td class="bar-col" aria-hidden="true">
                <span class="bar" style={{ width: `${Math.max(2, (r.share / (top || 1)) * 100)}%` }} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {reasons.length > REASONS_SHOWN && (
        <button type="button" class="link" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? `Show the top ${REASONS_SHOWN}` : `Show all ${reasons.length} reason codes`}
        </button>
      )}
    </>
  );
}

export interface WorkflowRow {
  workflowKey: string;
  totals: { submitted: number; autoApproved: number; rejected: number };
  autoApprovalRate?: number | null;
  rejectionRate?: number | null;
  errorRate?: number | null;
  cycleTime: { p50Seconds?: number | null; p90Seconds?: number | null };
  cost: { aiCostUsd: string; reviewCostUsd: string; totalCostUsd: string; costPerRequestUsd?: string | null };
  roi: { hoursSaved: number; valueSavedUsd: string; netValueUsd: string; roi?: number | null };
}

/** One row per workflow, in two tables (volume and quality, cost and value) so each fits a laptop
 * screen; on a phone each row is a card of labelled values. */
export function WorkflowTable({ rows, names }: { rows: WorkflowRow[]; names: Map<string, string> }) {
  if (rows.length === 0) return <p class="muted">No workflow.</p>;
  const name = (w: WorkflowRow) => (
    <td data-label="Workflow">
      <a href={`/workflows/${encodeURIComponent(w.workflowKey)}`}>{names.get(w.workflowKey) ?? w.workflowKey}</a>
    </td>
  );
  return (
    <>
      <h3 id="dash-wf-volume">Volume, quality and speed</h3>
      <div class="table-scroll wide" role="region" aria-labelledby="dash-wf-volume" tabIndex={0}>
        <table class="responsive by-workflow" aria-labelledby="dash-wf-volume">
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <Th metric="totals.submitted" />
              <Th metric="totals.autoApproved" />
              <Th metric="autoApprovalRate" />
              <Th metric="totals.rejected" />
              <Th metric="rejectionRate" />
              <Th metric="errorRate" />
              <Th metric="cycleTime.p50Seconds" />
              <Th metric="cycleTime.p90Seconds" />
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.workflowKey} data-workflow={w.workflowKey}>
                {name(w)}
                <td data-label="Submitted" class="num">
                  {count(w.totals.submitted)}
                </td>
                <td data-label="Auto-approved" class="num">
                  {count(w.totals.autoApproved)}
                </td>
                <td data-label="Auto-approval rate" class="num">
                  {percent(w.autoApprovalRate)}
                </td>
                <td data-label="Rejected" class="num">
                  {count(w.totals.rejected)}
                </td>
                <td data-label="Rejection rate" class="num">
                  {percent(w.rejectionRate)}
                </td>
                <td data-label="Error rate" class="num">
                  {percent(w.errorRate)}
                </td>
                <td data-label="Cycle time p50" class="num">
                  {duration(w.cycleTime.p50Seconds)}
                </td>
                <td data-label="Cycle time p90" class="num">
                  {duration(w.cycleTime.p90Seconds)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3 id="dash-wf-value">Cost and value</h3>
      <div class="table-scroll wide" role="region" aria-labelledby="dash-wf-value" tabIndex={0}>
        <table class="responsive by-workflow" aria-labelledby="dash-wf-value">
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <Th metric="cost.aiCostUsd" />
              <Th metric="cost.reviewCostUsd" />
              <Th metric="cost.totalCostUsd" />
              <Th metric="cost.costPerRequestUsd" />
              <Th metric="roi.hoursSaved" />
              <Th metric="roi.valueSavedUsd" />
              <Th metric="roi.netValueUsd" />
              <Th metric="roi.roi" />
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.workflowKey} data-workflow={w.workflowKey}>
                {name(w)}
                <td data-label="AI cost" class="num">
                  {usd(w.cost.aiCostUsd)}
                </td>
                <td data-label="Review cost" class="num">
                  {usd(w.cost.reviewCostUsd)}
                </td>
                <td data-label="Total cost" class="num">
                  {usd(w.cost.totalCostUsd)}
                </td>
                <td data-label="Cost per request" class="num">
                  {usd(w.cost.costPerRequestUsd)}
                </td>
                <td data-label="Hours saved" class="num">
                  {hours(w.roi.hoursSaved)}
                </td>
                <td data-label="Value saved" class="num">
                  {usd(w.roi.valueSavedUsd)}
                </td>
                <td data-label="Net value" class="num">
                  {usd(w.roi.netValueUsd)}
                </td>
                <td data-label="ROI" class="num">
                  {roiText(w.roi.roi)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
