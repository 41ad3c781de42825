import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, describeRange, parseDate, parseState, presetDates, serializeState, toFilter, type DashboardState } from './range';

const now = new Date('2026-12-01T03:47:00Z');

describe('toFilter', () => {
  it('starts a preset at midnight UTC the given number of days before today, open-ended', () => {
    expect(toFilter(DEFAULT_STATE, now)).toEqual({ filter: { granularity: 'DAY', from: '2026-11-01T00:00:00.000Z' } });
    expect(toFilter({ ...DEFAULT_STATE, range: '7d', granularity: 'WEEK' }, now).filter).toEqual({ granularity: 'WEEK', from: '2026-11-24T00:00:00.000Z' });
    expect(toFilter({ ...DEFAULT_STATE, range: '90d' }, now).filter?.from).toBe('2026-09-02T00:00:00.000Z');
  });
  it('includes the last day of a custom range', () => {
    const state: DashboardState = { ...DEFAULT_STATE, range: 'custom', from: '2026-11-03', to: '2026-11-09', granularity: 'MONTH' };
    expect(toFilter(state, now).filter).toEqual({ granularity: 'MONTH', from: '2026-11-03T00:00:00.000Z', to: '2026-11-10T00:00:00.000Z' });
    expect(toFilter({ ...state, to: '2026-11-03' }, now).filter?.to).toBe('2026-11-04T00:00:00.000Z');
  });
  it('refuses an unfinished or reversed custom range', () => {
    expect(toFilter({ ...DEFAULT_STATE, range: 'custom', from: '2026-11-03', to: '' }, now).error).toMatch(/first and a last day/);
    expect(toFilter({ ...DEFAULT_STATE, range: 'custom', from: '2026-11-10', to: '2026-11-09' }, now).error).toMatch(/must not be after/);
    expect(toFilter({ ...DEFAULT_STATE, range: 'custom', from: '2026-02-30', to: '2026-03-01' }, now).error).toBeDefined();
  });
  it('names the workflows only when some are chosen, in a stable order', () => {
    expect(toFilter({ ...DEFAULT_STATE, workflows: ['refunds', 'invoices'] }, now).filter?.workflowKeys).toEqual(['invoices', 'refunds']);
    expect(toFilter(DEFAULT_STATE, now).filter).not.toHaveProperty('workflowKeys');
  });
});

describe('dates', () => {
  it('parses real dates only', () => {
    expect(parseDate('2026-11-03')?.toISOString()).toBe('2026-11-03T00:00:00.000Z');
    expect(parseDate('2026-13-01')).toBeNull();
    expect(parseDate('yesterday')).toBeNull();
  });
  it('gives a preset as dates and in words', () => {
    expect(presetDates('30d', now)).toEqual({ from: '2026-11-01', to: '2026-12-01' });
    expect(describeRange(DEFAULT_STATE, now)).toBe('Nov 1, 2026 – now (UTC)');
    expect(describeRange({ ...DEFAULT_STATE, range: 'custom', from: '2026-11-03', to: '2026-11-09' }, now)).toBe(
      'Nov 3, 2026 – Nov 9, 2026 (UTC, both days included)',
    );
  });
});

describe('URL state', () => {
  it('round-trips and leaves defaults out', () => {
    expect(serializeState(DEFAULT_STATE)).toBe('');
    const state: DashboardState = { range: 'custom', from: '2026-11-03', to: '2026-11-09', granularity: 'WEEK', workflows: ['refunds', 'crm-updates'] };
    const text = serializeState(state);
    expect(text).toBe('range=custom&from=2026-11-03&to=2026-11-09&g=WEEK&wf=refunds%2Ccrm-updates');
    expect(parseState(Object.fromEntries(new URLSearchParams(text)))).toEqual(state);
  });
  it('falls back to defaults for anything unknown', () => {
    expect(parseState({ range: 'forever', g: 'YEAR', wf: ',a,,a' })).toEqual({ ...DEFAULT_STATE, workflows: ['a'] });
    expect(parseState({ range: '7d', from: '2026-01-01' }).from).toBe('');
  });
});
