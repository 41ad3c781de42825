import { describe, expect, it } from 'vitest';
import {
  affectsQueue,
  batchInputs,
  batchSummary,
  keepListed,
  mergePage,
  neighbour,
  queueUrl,
  rememberQueueUrl,
  noteEvent,
  NO_ARRIVALS,
  reasonCodeProblem,
  refetchSize,
  toggleAll,
  toggleSelected,
  type ArrivalState,
  type QueueEvent,
} from './queue';

const me = { subject: 'alice', roles: ['support_agent', 'finance'] };
let seq = 0;
const ev = (type: string, requestId: string | null, data: unknown = {}, actor = 'system'): QueueEvent => ({ seq: ++seq, type, actor, requestId, data });
const fold = (events: QueueEvent[], state: ArrivalState = NO_ARRIVALS) => events.reduce((s, e) => noteEvent(s, e, me), state);

describe('affectsQueue', () => {
  it('knows the request lifecycle events', () => {
    for (const t of ['REQUEST_SUBMITTED', 'STEP_OPENED', 'STEP_APPROVED', 'APPROVAL_RECORDED', 'REQUEST_APPROVED', 'REQUEST_REJECTED', 'REQUEST_EXPIRED', 'REQUEST_CANCELLED', 'REQUEST_ESCALATED']) {
      expect(affectsQueue(t)).toBe(true);
    }
    for (const t of ['AUTO_APPROVED', 'EXECUTION_REPORTED', 'WEBHOOK_ATTEMPTED', 'API_KEY_CREATED', 'SAMPLE_REVIEWED']) expect(affectsQueue(t)).toBe(false);
  });
});

describe('noteEvent', () => {
  it('counts a step opened for a role the reviewer holds, once per request', () => {
    const s = fold([
      ev('REQUEST_SUBMITTED', 'r1', {}, 'refund-bot'),
      ev('STEP_OPENED', 'r1', { step: 0, role: 'support_agent' }),
      ev('STEP_OPENED', 'r2', { step: 0, role: 'finance' }),
      ev('STEP_OPENED', 'r1', { step: 1, role: 'finance' }),
    ]);
    expect(s.arrived).toEqual(['r1', 'r2']);
  });

  it('ignores steps for other roles and events without a request', () => {
    const s = fold([ev('STEP_OPENED', 'r3', { step: 0, role: 'accounts_payable' }), ev('STEP_OPENED', null, { role: 'finance' }), ev('WORKFLOW_MODE_CHANGED', null)]);
    expect(s.arrived).toEqual([]);
  });

  it('never counts what the reviewer submitted or already approved a step of', () => {
    const s = fold([
      ev('REQUEST_SUBMITTED', 'r4', {}, 'alice'),
      ev('STEP_OPENED', 'r4', { step: 0, role: 'support_agent' }),
      ev('STEP_OPENED', 'r5', { step: 0, role: 'support_agent' }),
      ev('STEP_APPROVED', 'r5', { step: 0, role: 'support_agent' }, 'alice'),
      ev('STEP_OPENED', 'r5', { step: 1, role: 'finance' }),
      ev('APPROVAL_RECORDED', 'r6', { step: 0 }, 'alice'),
      ev('STEP_OPENED', 'r6', { step: 1, role: 'finance' }),
    ]);
    expect(s.arrived).toEqual([]);
    expect(s.excluded).toEqual(['r4', 'r5', 'r6']);
  });

  it('counts an escalation to a role the reviewer holds, unless it held the original role', () => {
    const s = fold([
      ev('REQUEST_ESCALATED', 'r7', { step: 0, role: 'accounts_payable', toRole: 'finance' }),
      ev('REQUEST_ESCALATED', 'r8', { step: 0, role: 'support_agent', toRole: 'finance' }),
      ev('REQUEST_ESCALATED', 'r9', { step: 0, role: 'support_agent', toRole: 'ops' }),
    ]);
    expect(s.arrived).toEqual(['r7']);
  });

  it('returns the same state when nothing changes', () => {
    const s = fold([ev('STEP_OPENED', 'r1', { role: 'finance' })]);
    expect(noteEvent(s, ev('REQUEST_APPROVED', 'r1'), me)).toBe(s);
    expect(noteEvent(s, ev('STEP_OPENED', 'r1', { role: 'finance' }), me)).toBe(s);
  });

  it('copes with odd data', () => {
    expect(fold([ev('STEP_OPENED', 'r1', null), ev('STEP_OPENED', 'r2', 'x'), ev('STEP_OPENED', 'r3', { role: 7 })]).arrived).toEqual([]);
  });
});

describe('pages', () => {
  it('merges without duplicates', () => {
    expect(mergePage([{ id: 'a' }, { id: 'b' }], [{ id: 'b' }, { id: 'c' }]).map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
  it('refetches the pages that were loaded, within the limit', () => {
    expect(refetchSize(0)).toBe(50);
    expect(refetchSize(12)).toBe(50);
    expect(refetchSize(50)).toBe(50);
    expect(refetchSize(51)).toBe(100);
    expect(refetchSize(100)).toBe(100);
    expect(refetchSize(480)).toBe(500);
    expect(refetchSize(900)).toBe(500);
    expect(refetchSize(10, 20, 100)).toBe(20);
  });
});

describe('selection', () => {
  const a = { id: 'a', title: 'A', version: 1 };
  const b = { id: 'b', title: 'B', version: 3 };
  it('toggles one', () => {
    const s = toggleSelected({}, a);
    expect(Object.keys(s)).toEqual(['a']);
    expect(toggleSelected(s, a)).toEqual({});
  });
  it('toggles all shown', () => {
    const s = toggleAll({ a }, [a, b]);
    expect(Object.keys(s).sort()).toEqual(['a', 'b']);
    expect(toggleAll(s, [a, b])).toEqual({});
    expect(toggleAll({}, [])).toEqual({});
  });
  it('drops what the queue no longer lists and keeps the version that was seen', () => {
    const s = { a, b };
    expect(keepListed(s, ['a', 'b', 'c'])).toBe(s);
    expect(keepListed(s, ['b'])).toEqual({ b });
  });
});

describe('batchInputs', () => {
  const items = [
    { id: 'a', title: 'A', version: 1 },
    { id: 'b', title: 'B', version: 4 },
  ];
  it('approves with each expected version', () => {
    expect(batchInputs(items, 'APPROVE', 'ignored', '  ')).toEqual([
      { requestId: 'a', decision: 'APPROVE', expectedVersion: 1 },
      { requestId: 'b', decision: 'APPROVE', expectedVersion: 4 },
    ]);
  });
  it('rejects with the reason code and comment', () => {
    expect(batchInputs(items.slice(0, 1), 'REJECT', ' policy_violation ', 'Not eligible')).toEqual([
      { requestId: 'a', decision: 'REJECT', expectedVersion: 1, reasonCode: 'policy_violation', comment: 'Not eligible' },
    ]);
  });
});

describe('reasonCodeProblem', () => {
  it('follows the server rule', () => {
    expect(reasonCodeProblem('')).toMatch(/required/);
    expect(reasonCodeProblem('   ')).toMatch(/required/);
    expect(reasonCodeProblem(null)).toMatch(/required/);
    expect(reasonCodeProblem('has space')).toMatch(/only/);
    expect(reasonCodeProblem('x'.repeat(65))).toMatch(/64/);
    expect(reasonCodeProblem('fraud_suspected')).toBeNull();
    expect(reasonCodeProblem('policy:4.2/late-delivery')).toBeNull();
  });
});

describe('batchSummary', () => {
  it('counts successes and failures', () => {
    expect(
      batchSummary([
        { requestId: 'a', request: { status: 'APPROVED' }, error: null },
        { requestId: 'b', request: null, error: { code: 'CONFLICT', message: 'stale' } },
      ]),
    ).toEqual({ ok: 1, failed: 1, text: '1 of 2 decided, 1 failed' });
    expect(batchSummary([{ requestId: 'a', request: { status: 'PENDING' } }]).text).toBe('1 of 1 decided');
  });
});

describe('neighbour', () => {
  const ids = ['a', 'b', 'c'];
  it('finds the next and previous', () => {
    expect(neighbour(ids, 'b', 1)).toBe('c');
    expect(neighbour(ids, 'b', -1)).toBe('a');
    expect(neighbour(ids, 'c', 1)).toBeNull();
    expect(neighbour(ids, 'a', -1)).toBeNull();
  });
  it('starts at the top when the current one left the queue', () => {
    expect(neighbour(ids, 'z', 1)).toBe('a');
    expect(neighbour(ids, 'z', -1)).toBeNull();
    expect(neighbour([], 'z', 1)).toBeNull();
  });
});

describe('queue URL', () => {
  it('remembers the filtered queue, and only queue URLs', () => {
    sessionStorage.clear();
    expect(queueUrl()).toBe('/');
    rememberQueueUrl('/?workflow=refunds');
    expect(queueUrl()).toBe('/?workflow=refunds');
    rememberQueueUrl('https://evil.example/');
    expect(queueUrl()).toBe('/');
    rememberQueueUrl('/requests/x');
    expect(queueUrl()).toBe('/');
  });
});
