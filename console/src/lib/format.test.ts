import { describe, expect, it } from 'vitest';
import { confidence, duration, isOverdue, money, percent, prettyJson, relative } from './format';

describe('money', () => {
  it('groups digits and keeps the decimal string exact', () => {
    expect(money('1234.5')).toBe('1,234.50');
    expect(money('1234567.891', 'USD')).toBe('USD 1,234,567.891');
    expect(money('0.30000000000000004')).toBe('0.30000000000000004');
    expect(money('-12')).toBe('-12.00');
  });
  it('shows a dash for nothing and the input for anything else', () => {
    expect(money(null)).toBe('—');
    expect(money('abc')).toBe('abc');
  });
});

describe('shares and times', () => {
  it('formats shares, confidences and durations', () => {
    expect(percent(0.8766)).toBe('87.7%');
    expect(percent(null)).toBe('—');
    expect(confidence(0.923)).toBe('92%');
    expect(duration(30)).toBe('30 s');
    expect(duration(90)).toBe('1.5 min');
    expect(duration(7200)).toBe('2.0 h');
    expect(duration(172800)).toBe('2.0 d');
  });
  it('says how far a time is and whether it has passed', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(relative('2026-12-01T15:00:00Z', now)).toBe('in 3.0 h');
    expect(relative('2026-12-01T11:48:00Z', now)).toBe('12.0 min ago');
    expect(isOverdue('2026-12-01T11:59:59Z', now)).toBe(true);
    expect(isOverdue('2026-12-01T12:00:01Z', now)).toBe(false);
    expect(isOverdue(null, now)).toBe(false);
  });
});

describe('prettyJson', () => {
  it('sorts keys at every depth so two drafts compare line by line', () => {
    expect(prettyJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}',
    );
  });
});
