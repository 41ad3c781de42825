import { describe, expect, it } from 'vitest';
import { changed, jsonDiff } from './diff';

describe('jsonDiff', () => {
  it('marks only the changed lines, whatever the key order', () => {
    const lines = jsonDiff({ order: 'A-1', amount: '150' }, { amount: '120', order: 'A-1' });
    expect(lines.filter((l) => l.kind !== 'same')).toEqual([
      { kind: 'del', text: '  "amount": "150",' },
      { kind: 'add', text: '  "amount": "120",' },
    ]);
    expect(changed(lines)).toBe(true);
  });
  it('finds nothing between equal documents', () => {
    expect(changed(jsonDiff({ a: [1, 2], b: { c: true } }, { b: { c: true }, a: [1, 2] }))).toBe(false);
  });
});
