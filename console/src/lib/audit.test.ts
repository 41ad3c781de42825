import { describe, expect, it } from 'vitest';
import { dataPreview, auditFilterFromQuery, auditFilterProblems, auditFilterToQuery, EMPTY_AUDIT_FILTER, pageRange, parseSeq, shortHash, toAuditFilter } from './audit';

describe('audit filter', () => {
  it('sends only what is set', () => {
    expect(toAuditFilter(EMPTY_AUDIT_FILTER)).toBeNull();
    expect(toAuditFilter({ workflowKey: ' invoices ', requestId: '', types: ['POLICY_PROPOSED'], afterSeq: '42' })).toEqual({ workflowKey: 'invoices', types: ['POLICY_PROPOSED'], afterSeq: 42 });
  });
  it('round-trips through the URL query', () => {
    const f = { workflowKey: 'crm-updates', requestId: '01a20bdc-b549-7d68-a39b-909c2662d397', types: ['A', 'B'], afterSeq: '7' };
    const q = Object.fromEntries(new URLSearchParams(auditFilterToQuery(f)));
    expect(auditFilterFromQuery(q)).toEqual(f);
    expect(auditFilterFromQuery({})).toEqual(EMPTY_AUDIT_FILTER);
  });
  it('checks seq and request id before sending', () => {
    expect(parseSeq('12')).toBe(12);
    expect(parseSeq('-1')).toBeNull();
    expect(parseSeq('1.5')).toBeNull();
    expect(auditFilterProblems({ ...EMPTY_AUDIT_FILTER, afterSeq: 'x', requestId: 'nope' })).toHaveLength(2);
    expect(auditFilterProblems({ ...EMPTY_AUDIT_FILTER, afterSeq: '0', requestId: '01a20bdc-b549-7d68-a39b-909c2662d397' })).toEqual([]);
  });
  it('shortens hashes and names page ranges', () => {
    expect(shortHash('dca57567569dcdd40af637a96aaf9a043fe4b3033c22820e684dc93dee9609a0')).toBe('dca57567569d…9609a0');
    expect(shortHash('abc')).toBe('abc');
    expect(pageRange([3, 1, 2])).toBe('Events seq 1–3');
    expect(pageRange([])).toBe('No events');
  });
});

describe('data preview', () => {
  it('lists keys, a few at most', () => {
    
    expect(dataPreview({ b: 1, a: 2 })).toBe('a, b');
    expect(dataPreview({ a: 1, b: 1, c: 1, d: 1, e: 1, f: 1 })).toBe('a, b, c, d +2');
    expect(dataPreview({})).toBe('{}');
    expect(dataPreview(5)).toBe('5');
  });
});
