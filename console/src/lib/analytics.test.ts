import { describe, expect, it } from 'vitest';
import { axisNumber, bucketEnd, bucketLabel, count, decided, hours, lastBucketOpen, plotNumber, rate, roiText, seriesColumns, thinTicks, tickLabel, usd } from './analytics';

describe('display', () => {
  it('formats counts the US way', () => {
    expect(count(5000)).toBe('5,000');
    expect(count(0)).toBe('0');
    expect(count(null)).toBe('—');
  });
  it('keeps dollars exact and puts the sign first', () => {
    expect(usd('42670.67')).toBe('$42,670.67');
    expect(usd('1.1635')).toBe('$1.1635');
    expect(usd('-12')).toBe('−$12.00');
    expect(usd('0.30000000000000004')).toBe('$0.30000000000000004');
    expect(usd(null)).toBe('—');
    expect(usd('n/a')).toBe('n/a');
  });
  it('formats hours and ROI', () => {
    expect(hours(683.9666)).toBe('684.0 h');
    expect(hours(1234.56)).toBe('1,234.6 h');
    expect(roiText(6.3348)).toBe('633.5%');
    expect(roiText(null)).toBe('—');
  });
  it('never divides by zero', () => {
    expect(rate(1, 0)).toBeNull();
    expect(rate(1, 4)).toBe(0.25);
    expect(decided({ autoApproved: 1, humanApproved: 2, rejected: 3 })).toBe(6);
  });
  it('converts decimals for plotting only', () => {
    expect(plotNumber('19.114')).toBeCloseTo(19.114);
    expect(plotNumber('')).toBeNull();
    expect(plotNumber('x')).toBeNull();
  });
});

describe('series', () => {
  const series = [
    { bucketStart: '2026-11-02T00:00:00+00:00', submitted: 10, autoApproved: 6, humanApproved: 2, rejected: 2, errors: 1, p50CycleSeconds: 7200, aiCostUsd: '1.50' },
    { bucketStart: '2026-11-03T00:00:00+00:00', submitted: 0, autoApproved: 0, humanApproved: 0, rejected: 0, errors: 0, p50CycleSeconds: null, aiCostUsd: '0' },
  ];
  it('turns points into aligned columns with per-bucket rates', () => {
    const c = seriesColumns(series);
    expect(c.x).toEqual([1793577600, 1793664000]);
    expect(c.submitted).toEqual([10, 0]);
    expect(c.autoApprovalPct).toEqual([60, null]);
    expect(c.errorPct).toEqual([12.5, null]);
    expect(c.p50Hours).toEqual([2, null]);
    expect(c.aiCost).toEqual([1.5, 0]);
  });
  it('knows when a bucket ends and whether the last one is still open', () => {
    expect(bucketEnd(new Date('2026-11-30T00:00:00Z'), 'DAY').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(bucketEnd(new Date('2026-11-30T00:00:00Z'), 'WEEK').toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(bucketEnd(new Date('2026-12-01T00:00:00Z'), 'MONTH').toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(lastBucketOpen(series, 'DAY', new Date('2026-11-03T12:00:00Z'))).toBe(true);
    expect(lastBucketOpen(series, 'DAY', new Date('2026-11-04T00:00:00Z'))).toBe(false);
    expect(lastBucketOpen([], 'DAY', new Date())).toBe(false);
  });
  it('labels buckets in UTC', () => {
    expect(bucketLabel('2026-11-02T00:00:00+00:00', 'DAY')).toBe('Nov 2, 2026');
    expect(bucketLabel('2026-11-02T00:00:00+00:00', 'WEEK')).toBe('Week of Nov 2, 2026');
    expect(bucketLabel('2026-11-01T00:00:00+00:00', 'MONTH')).toBe('November 2026');
    expect(tickLabel(1793577600, 'DAY')).toBe('Nov 2');
    expect(tickLabel(1793577600, 'MONTH')).toBe('Nov 2026');
  });
  it('thins ticks to fit', () => {
    const xs = Array.from({ length: 31 }, (_, i) => i);
    expect(thinTicks(xs, 1000, 60)).toHaveLength(31 / 2 + 0.5);
    expect(thinTicks(xs, 300, 60)).toEqual([0, 7, 14, 21, 28]);
    expect(thinTicks([5], 10, 60)).toEqual([5]);
    expect(thinTicks([], 100, 60)).toEqual([]);
  });
  it('shortens axis numbers', () => {
    expect(axisNumber(0)).toBe('0');
    expect(axisNumber(150)).toBe('150');
    expect(axisNumber(1200)).toBe('1.2k');
    expect(axisNumber(2.5)).toBe('2.5');
  });
});
