// What every dashboard figure means, keyed by its field in `analytics` (docs/analytics.md is the
// definition; the test next to this file checks that every quoted passage is still in it). The
// dashboard's tooltips (`Figure`'s `how`, table headers, chart captions) all come from here.

import type { CostSummary, CycleTime, RoiSummary, SeriesPoint, Totals } from '../gql/graphql';

export interface MetricDef {
  /** Short name shown next to the number. */
  label: string;
  /** How it is computed, in the words of docs/analytics.md. */
  how: string;
  /** Passages of docs/analytics.md that `how` quotes (backticks dropped). */
  quotes: string[];
}

/** A definition whose `how` is `passage` (capitalised) followed by `extra`. */
function doc(label: string, passage: string, extra?: string): MetricDef {
  // Capitalise a plain first word, never a field name (`valueSavedUsd − totalCostUsd`).
  const sentence = /^[a-z]+\b/.test(passage) && !/^[a-z]+[A-Z]/.test(passage) ? passage.charAt(0).toUpperCase() + passage.slice(1) : passage;
  return { label, how: extra ? `${sentence}. ${extra}` : `${sentence}.`, quotes: [passage] };
}

/** A definition written out in full, quoting `quotes` from the doc. */
function def(label: string, how: string, quotes: string[]): MetricDef {
  return { label, how, quotes };
}

const NULL_RATE = 'Shown as — when the denominator is zero.';
const DECIDED = 'autoApproved + humanApproved + rejected';
const HUMAN_DECISIONS = 'are the individual approve/reject decisions people recorded';
const CYCLE = 'Over the requests routed to people that reached a final decision by a person (APPROVED or REJECTED): the seconds from submission to that decision';
const INTERPOLATED = 'interpolated linearly between the two nearest values';

type Fields<T> = Exclude<keyof T, '__typename'>;

const TOTALS: Record<Fields<Totals> | 'decided', MetricDef> = {
  submitted: doc('Submitted', 'every request submitted in range, including those the policy refused (REJECT)'),
  autoApproved: doc('Auto-approved', 'requests the policy routed AUTO (approved at submission)'),
  humanApproved: doc('Human-approved', 'requests routed to people that people approved; they keep counting when later executed, failed or rolled back'),
  rejected: doc('Rejected', 'requests that ended REJECTED, by a person or by a REJECT rule'),
  pending: def('Pending', 'Requests whose current status is that: PENDING.', ['requests whose current status is that']),
  expired: def('Expired', 'Requests whose current status is that: EXPIRED.', ['requests whose current status is that']),
  cancelled: def('Cancelled', 'Requests whose current status is that: CANCELLED.', ['requests whose current status is that']),
  executed: doc('Executed', 'requests whose last execution report was a success (a request executed and then rolled back counts here and in rolledBack)'),
  executionFailed: doc('Execution failed', 'requests whose last execution report was a failure'),
  rolledBack: doc('Rolled back', 'requests whose executed action was rolled back'),
  sampled: doc('Sampled for QA', 'AUTO requests picked for QA sampling'),
  sampledIncorrect: doc('QA: incorrect', 'sampled requests whose QA verdict was INCORRECT'),
  decided: def('Decided', `decided = ${DECIDED}.`, [DECIDED]),
};

const RATES = {
  autoApprovalRate: def('Auto-approval rate', `autoApproved / decided, where decided = ${DECIDED}. ${NULL_RATE}`, ['autoApproved / decided', DECIDED]),
  humanApprovalRate: def('Human approval rate', `humanApproved / decided, where decided = ${DECIDED}. ${NULL_RATE}`, ['humanApproved / decided', DECIDED]),
  rejectionRate: def('Rejection rate', `rejected / decided, where decided = ${DECIDED}. ${NULL_RATE}`, ['rejected / decided', DECIDED]),
  editRate: doc('Edit rate', 'the share of humanApproved requests whose final action differs from what the AI proposed', NULL_RATE),
  errorRate: doc('Error rate', '(executionFailed + rolledBack + sampledIncorrect) / (autoApproved + humanApproved); a request both rolled back and judged INCORRECT counts twice', NULL_RATE),
  slaBreachRate: def(
    'SLA breach rate',
    'Human steps that breached their due time / human steps opened. A step breaches when it was decided after its due time, when it is still open and the clock has passed its due time, or when it closed without a decision (its request expired or was cancelled) after its due time. Steps without a due time never breach.',
    [
      'human steps that breached their due time / human steps opened',
      'A step breaches when it was decided after its due time, when it is still open and the clock has passed its due time, or when it closed without a decision (its request expired or was cancelled) after its due time. Steps without a due time never breach',
    ],
  ),
} satisfies Record<string, MetricDef>;

const CYCLE_TIME: Record<Fields<CycleTime>, MetricDef> = {
  count: def('Decided by people', `How many cycle times there are. ${CYCLE}.`, [CYCLE]),
  p50Seconds: def('Cycle time p50', `The 50th percentile (median), ${INTERPOLATED}. ${CYCLE}.`, [INTERPOLATED, CYCLE]),
  p90Seconds: def('Cycle time p90', `The 90th percentile, ${INTERPOLATED}. ${CYCLE}.`, [INTERPOLATED, CYCLE]),
  p99Seconds: def('Cycle time p99', `The 99th percentile, ${INTERPOLATED}. ${CYCLE}.`, [INTERPOLATED, CYCLE]),
  meanSeconds: def('Cycle time mean', `The mean. ${CYCLE}.`, [CYCLE]),
};

const COST: Record<Fields<CostSummary>, MetricDef> = {
  aiCostUsd: doc('AI cost', "the exact sum of the requests' costUsd (absent counts as zero)"),
  reviewCostUsd: def(
    'Review cost',
    'Per workflow: human decisions × reviewerMinutesPerDecision × hourlyRateUsd / 60, then summed; rounded to the cent. Human decisions are the individual approve/reject decisions people recorded (default: 2 minutes at 60.00 USD an hour).',
    ['per workflow: human decisions × reviewerMinutesPerDecision × hourlyRateUsd / 60, then summed; rounded to the cent', HUMAN_DECISIONS],
  ),
  totalCostUsd: doc('Total cost', 'aiCostUsd + reviewCostUsd'),
  costPerRequestUsd: doc('Cost per request', 'totalCostUsd / submitted, to four decimals; null when nothing was submitted', 'Shown as — then.'),
};

const ROI: Record<Fields<RoiSummary>, MetricDef> = {
  hoursSaved: doc(
    'Hours saved',
    'per workflow: (autoApproved × minutesSavedPerAuto + humanApproved × minutesSavedPerAssisted) / 60, then summed',
    'Defaults: 10 minutes per auto-approval, 5 per assisted approval.',
  ),
  valueSavedUsd: doc('Value saved', 'per workflow: hours saved × hourlyRateUsd (multiplied before dividing by 60), summed, rounded to the cent'),
  netValueUsd: doc('Net value', 'valueSavedUsd − totalCostUsd'),
  roi: doc('ROI', 'netValueUsd / totalCostUsd; null when the total cost is zero', 'Shown as a percentage (100% = the value saved is twice the cost).'),
};

const SERIES: Record<Exclude<Fields<SeriesPoint>, 'bucketStart'>, MetricDef> = {
  submitted: { ...TOTALS.submitted, how: `Per bucket, by submission time: ${TOTALS.submitted.how.charAt(0).toLowerCase()}${TOTALS.submitted.how.slice(1)}` },
  autoApproved: { ...TOTALS.autoApproved, how: `Per bucket: ${TOTALS.autoApproved.how.charAt(0).toLowerCase()}${TOTALS.autoApproved.how.slice(1)}` },
  humanApproved: { ...TOTALS.humanApproved, how: `Per bucket: ${TOTALS.humanApproved.how.charAt(0).toLowerCase()}${TOTALS.humanApproved.how.slice(1)}` },
  rejected: { ...TOTALS.rejected, how: `Per bucket: ${TOTALS.rejected.how.charAt(0).toLowerCase()}${TOTALS.rejected.how.slice(1)}` },
  errors: def('Errors', 'Per bucket: executionFailed + rolledBack + sampledIncorrect, as in errorRate.', ['executionFailed + rolledBack + sampledIncorrect', 'as in errorRate']),
  p50CycleSeconds: def('Median cycle time', `The bucket's median cycle time. ${CYCLE}.`, ["the bucket's median cycle time", CYCLE]),
  aiCostUsd: def('AI cost', "Per bucket: the exact sum of the requests' costUsd (absent counts as zero).", ["the exact sum of the requests' costUsd (absent counts as zero)"]),
};

/** Figures the dashboard derives per bucket from `series` with the report's own definitions. */
const DERIVED = {
  bucketAutoApprovalRate: def(
    'Auto-approval rate',
    `Per bucket: autoApproved / decided, where decided = ${DECIDED} (no point when nothing was decided).`,
    ['autoApproved / decided', DECIDED],
  ),
  bucketErrorRate: def(
    'Error rate',
    'Per bucket: errors / (autoApproved + humanApproved), where errors = executionFailed + rolledBack + sampledIncorrect (no point when nothing was approved).',
    ['(autoApproved + humanApproved)', 'executionFailed + rolledBack + sampledIncorrect'],
  ),
  rejectionReason: def(
    'Rejection reasons',
    "The reasonCode of every rejected request — a person's reason code, or for a request refused by a REJECT rule, that rule's reasonCode — with its count and its share of all rejected requests, most frequent first (ties by reason code).",
    [
      "the reasonCode of every rejected request — a person's reason code, or for a request refused by a REJECT rule, that rule's reasonCode — with its count and its share of all rejected requests, most frequent first (ties by reason code)",
    ],
  ),
  reasonCount: def('Count', 'Rejected requests that gave this reason code.', []),
  reasonShare: def('Share', 'Its share of all rejected requests: count / rejected.', ['its share of all rejected requests']),
  scope: def(
    'Scope',
    'Every figure counts the requests submitted in the range, whatever happened to them later.',
    ['Every figure counts the requests submitted in the range, whatever happened to them later'],
  ),
} satisfies Record<string, MetricDef>;

function prefixed<T extends Record<string, MetricDef>, P extends string>(prefix: P, defs: T): { [K in keyof T & string as `${P}.${K}`]: MetricDef } {
  return Object.fromEntries(Object.entries(defs).map(([k, v]) => [`${prefix}.${k}`, v])) as { [K in keyof T & string as `${P}.${K}`]: MetricDef };
}

/** Every definition, keyed by field path: `totals.submitted`, `autoApprovalRate`, `cost.aiCostUsd`, `series.errors`… */
export const METRICS = {
  ...prefixed('totals', TOTALS),
  ...RATES,
  ...prefixed('cycleTime', CYCLE_TIME),
  ...prefixed('cost', COST),
  ...prefixed('roi', ROI),
  ...prefixed('series', SERIES),
  ...DERIVED,
};

export type MetricKey = keyof typeof METRICS;

export function metric(key: MetricKey): MetricDef {
  return METRICS[key];
}

/** The tooltip text of a figure. */
export function how(key: MetricKey): string {
  return METRICS[key].how;
}

/** The label of a figure. */
export function label(key: MetricKey): string {
  return METRICS[key].label;
}
