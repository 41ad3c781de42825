import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { how, label, METRICS, type MetricKey } from './metrics';

/** docs/analytics.md as plain words: no backticks, bold or quotes, one space, lower case. */
function normalise(text: string): string {
  return text
    .replace(/[`*"]/g, '')
    .replace(/\s+/g, ' ')
    .toLowerCase();
}

// The doc lives in the repository, three levels above this file (console/src/lib).
const docPath = join(__dirname, '../../../docs/analytics.md');
const analyticsDoc = normalise(readFileSync(docPath, 'utf8'));

describe('metric definitions', () => {
  const entries = Object.entries(METRICS) as [MetricKey, (typeof METRICS)[MetricKey]][];

  it('has a label and a how for every field', () => {
    for (const [key, def] of entries) {
      expect(def.label, key).not.toBe('');
      expect(def.how.length, key).toBeGreaterThan(10);
    }
  });

  it('quotes docs/analytics.md word for word, and says what it quotes', () => {
    for (const [key, def] of entries) {
      for (const quote of def.quotes) {
        expect(analyticsDoc, `${key} quotes "${quote}"`).toContain(normalise(quote));
        expect(normalise(def.how), `${key}'s tooltip says "${quote}"`).toContain(normalise(quote));
      }
    }
  });

  it('covers every figure of the report the dashboard shows', () => {
    const keys: MetricKey[] = [
      'totals.submitted', 'totals.autoApproved', 'totals.humanApproved', 'totals.rejected', 'totals.pending', 'totals.expired',
      'totals.cancelled', 'totals.executed', 'totals.executionFailed', 'totals.rolledBack', 'totals.sampled', 'totals.sampledIncorrect',
      'totals.decided', 'autoApprovalRate', 'humanApprovalRate', 'rejectionRate', 'editRate', 'errorRate', 'slaBreachRate',
      'cycleTime.count', 'cycleTime.p50Seconds', 'cycleTime.p90Seconds', 'cycleTime.p99Seconds', 'cycleTime.meanSeconds',
      'cost.aiCostUsd', 'cost.reviewCostUsd', 'cost.totalCostUsd', 'cost.costPerRequestUsd',
      'roi.hoursSaved', 'roi.valueSavedUsd', 'roi.netValueUsd', 'roi.roi',
      'series.submitted', 'series.errors', 'series.p50CycleSeconds', 'series.aiCostUsd',
    ];
    for (const k of keys) expect(METRICS[k], k).toBeDefined();
  });

  it('reads well', () => {
    expect(label('autoApprovalRate')).toBe('Auto-approval rate');
    expect(how('autoApprovalRate')).toBe(
      'autoApproved / decided, where decided = autoApproved + humanApproved + rejected. Shown as — when the denominator is zero.',
    );
    expect(how('totals.submitted')).toBe('Every request submitted in range, including those the policy refused (REJECT).');
    expect(how('roi.netValueUsd')).toBe('valueSavedUsd − totalCostUsd.');
    expect(how('cost.aiCostUsd')).toBe("The exact sum of the requests' costUsd (absent counts as zero).");
  });
});
