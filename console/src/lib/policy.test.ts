import { describe, expect, it } from 'vitest';
import {
  activationBlocker,
  compactDiff,
  defaultCandidate,
  defaultDiffPair,
  editableJson,
  exampleAction,
  fromLocalInput,
  lastDays,
  lineColumn,
  MODE_EFFECT,
  parseActionInput,
  parseJson,
  parsePolicy,
  rollbackTargets,
  toLocalInput,
  withoutNulls,
  type DiffLineLike,
  type VersionLike,
} from './policy';

const v = (version: number, status: VersionLike['status'], proposedBy = 'alice'): VersionLike => ({ version, status, proposedBy });

describe('versions', () => {
  it('tries the newest proposal first, else the active version', () => {
    expect(defaultCandidate([v(1, 'SUPERSEDED'), v(2, 'ACTIVE'), v(3, 'PROPOSED'), v(4, 'PROPOSED')])?.version).toBe(4);
    expect(defaultCandidate([v(1, 'SUPERSEDED'), v(2, 'ACTIVE'), v(3, 'DECLINED')])?.version).toBe(2);
    expect(defaultCandidate([])).toBeUndefined();
  });
  it('rolls back only to versions that were active before, newest first', () => {
    const targets = rollbackTargets([v(1, 'SUPERSEDED'), v(2, 'DECLINED'), v(3, 'SUPERSEDED'), v(4, 'ACTIVE'), v(5, 'PROPOSED')]);
    expect(targets.map((t) => t.version)).toEqual([3, 1]);
  });
  it('explains four eyes to the proposer', () => {
    expect(activationBlocker(v(3, 'PROPOSED', 'alice'), 'alice')).toMatch(/second admin/);
    expect(activationBlocker(v(3, 'PROPOSED', 'alice'), 'bob')).toBeNull();
    expect(activationBlocker(v(3, 'DECLINED', 'alice'), 'bob')).toMatch(/only a PROPOSED/);
  });
  it('compares the active version with the proposal, or the newest other version', () => {
    expect(defaultDiffPair([v(1, 'SUPERSEDED'), v(2, 'ACTIVE'), v(3, 'PROPOSED')])).toEqual([2, 3]);
    expect(defaultDiffPair([v(1, 'SUPERSEDED'), v(2, 'ACTIVE')])).toEqual([1, 2]);
    expect(defaultDiffPair([v(1, 'ACTIVE'), v(2, 'DECLINED')])).toEqual([1, 2]);
    expect(defaultDiffPair([v(1, 'ACTIVE')])).toEqual([1, 1]);
    expect(defaultDiffPair([])).toBeNull();
  });
  it('says what each mode does', () => {
    expect(MODE_EFFECT.PAUSED).toMatch(/refuses new actions/);
    expect(MODE_EFFECT.MANUAL_ONLY).toMatch(/every action to people/);
    expect(MODE_EFFECT.ACTIVE).toMatch(/restores policy routing/);
  });
});

describe('documents', () => {
  it('drops nulls deeply, keeping false, 0 and empty lists', () => {
    const doc = { rules: [{ name: 'a', steps: null, sampleRate: 0 }], default: { route: 'HUMAN', reasonCode: null }, validations: [], x: false };
    expect(withoutNulls(doc)).toEqual({ rules: [{ name: 'a', sampleRate: 0 }], default: { route: 'HUMAN' }, validations: [], x: false });
    expect(editableJson({ a: null, b: 1 })).toBe('{\n  "b": 1\n}');
  });
  it('reads JSON and names the line of an error', () => {
    expect(parseJson('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    const bad = parseJson('{\n  "a": 1,\n  }');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/Not valid JSON/);
    expect(parseJson('  ').ok).toBe(false);
    expect(lineColumn('ab\ncd\nef', 4)).toEqual({ line: 2, column: 2 });
  });
  it('wants a policy to be an object with a default', () => {
    expect(parsePolicy('[1]').ok).toBe(false);
    expect(parsePolicy('{"rules": []}').ok).toBe(false);
    expect(parsePolicy('{"rules": [], "default": {"route": "HUMAN"}}').ok).toBe(true);
  });
});

describe('actions to simulate', () => {
  const good = { workflowKey: 'invoices', idempotencyKey: 'k', actionType: 'invoice.pay', title: 'Pay', action: { po_number: 'PO-1' } };
  it('accepts a complete SubmitActionInput', () => {
    expect(parseActionInput(JSON.stringify({ ...good, amount: '12.50', confidence: 0.9, riskFlags: ['x'], sources: [{ title: 't' }] })).ok).toBe(true);
  });
  it('names missing, unknown and mistyped fields', () => {
    const r = parseActionInput(JSON.stringify({ workflowKey: 'w', idempotencyKey: 'k', title: 'T', action: 1, amount: 12.5, bogus: true }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/"actionType" is required/);
      expect(r.error).toMatch(/"bogus" is not a field/);
      expect(r.error).toMatch(/"amount" should be a decimal string/);
      expect(r.error).toMatch(/"action" should be a JSON object/);
    }
    expect(parseActionInput('[]').ok).toBe(false);
  });
  it('builds an example from a stored request, leaving out what it lacks', () => {
    const ex = exampleAction('invoices', { actionType: 'invoice.pay', title: 'Pay INV-1', action: { po_number: 'PO-1' }, amount: '3738.02', currency: 'EUR', confidence: 0.95, riskFlags: [], context: { vendor: 'v' }, model: null });
    expect(ex).toEqual({ workflowKey: 'invoices', idempotencyKey: 'simulation-1', actionType: 'invoice.pay', title: 'Pay INV-1', action: { po_number: 'PO-1' }, amount: '3738.02', currency: 'EUR', confidence: 0.95, riskFlags: [], context: { vendor: 'v' } });
    expect(parseActionInput(JSON.stringify(ex)).ok).toBe(true);
    expect(parseActionInput(JSON.stringify(exampleAction('crm', null))).ok).toBe(true);
  });
});

describe('date ranges', () => {
  it('round-trips datetime-local values', () => {
    const d = new Date(2026, 10, 24, 9, 5);
    expect(toLocalInput(d)).toBe('2026-11-24T09:05');
    expect(fromLocalInput('2026-11-24T09:05')).toBe(d.toISOString());
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('nope')).toBeNull();
  });
  it('defaults to the last 7 days, ending after now', () => {
    const now = new Date(2026, 11, 1, 3, 51, 20);
    const { from, to } = lastDays(7, now);
    expect(to).toBe('2026-12-01T03:52');
    expect(from).toBe('2026-11-24T03:52');
  });
});

describe('compact diffs', () => {
  const same = (t: string): DiffLineLike => ({ kind: 'same', text: t });
  it('keeps context around changes and folds the rest', () => {
    const lines = [...'abcdefghij'].map(same);
    lines.splice(5, 1, { kind: 'del', text: 'f' }, { kind: 'add', text: 'F' });
    const out = compactDiff(lines, 2);
    expect(out.map((l) => l.text)).toEqual(['… 3 unchanged lines …', 'd', 'e', 'f', 'F', 'g', 'h', '… 2 unchanged lines …']);
  });
  it('returns an unchanged diff whole', () => {
    expect(compactDiff([same('a'), same('b')], 0)).toHaveLength(2);
  });
  it('folds a single line too', () => {
    const out = compactDiff([same('a'), same('b'), { kind: 'add', text: 'c' }], 1);
    expect(out.map((l) => l.text)).toEqual(['… 1 unchanged line …', 'b', 'c']);
  });
});
