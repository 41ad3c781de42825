import { describe, expect, it } from 'vitest';
import { describeEvent, editedActionToSend, parseAction, safeUrl, sameJson, whyCannotDecide } from './review';

describe('parseAction', () => {
  it('accepts a JSON object', () => {
    expect(parseAction('{"amount": "12.50"}')).toEqual({ ok: true, value: { amount: '12.50' } });
  });
  it('explains what is wrong', () => {
    const bad = (t: string) => {
      const r = parseAction(t);
      return r.ok ? null : r.error;
    };
    expect(bad('')).toMatch(/empty/);
    expect(bad('{"a": ')).toMatch(/Not valid JSON/);
    expect(bad('[1]')).toMatch(/not an array/);
    expect(bad('null')).toMatch(/not null/);
    expect(bad('"x"')).toMatch(/not a string/);
    expect(bad('3')).toMatch(/not a number/);
  });
});

describe('edited action', () => {
  it('compares documents regardless of key order', () => {
    expect(sameJson({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
  });
  it('sends an edited action only when it changes something', () => {
    expect(editedActionToSend({ b: 1, a: 2 }, { a: 2, b: 1 })).toBeUndefined();
    expect(editedActionToSend({ a: 3 }, { a: 2 })).toEqual({ a: 3 });
  });
});

describe('safeUrl', () => {
  it('keeps http(s) links only', () => {
    expect(safeUrl('https://support.example/tickets/1')).toBe('https://support.example/tickets/1');
    expect(safeUrl('http://x.example')).toBe('http://x.example/');
    expect(safeUrl('javascript:alert(1)')).toBeNull();
    expect(safeUrl('data:text/html,hi')).toBeNull();
    expect(safeUrl('not a url')).toBeNull();
    expect(safeUrl(null)).toBeNull();
  });
});

describe('whyCannotDecide', () => {
  const me = { subject: 'alice', roles: ['support_agent'] };
  const base = {
    status: 'PENDING',
    submittedBy: 'refund-bot',
    steps: [{ index: 0, role: 'support_agent', status: 'OPEN', escalatedTo: null }],
    decisions: [] as { actor: string }[],
  };
  it('lets a holder of the open step decide', () => {
    expect(whyCannotDecide(base, me)).toBeNull();
  });
  it('names the reasons the server would give', () => {
    expect(whyCannotDecide({ ...base, status: 'APPROVED' }, me)).toMatch(/APPROVED/);
    expect(whyCannotDecide({ ...base, submittedBy: 'alice' }, me)).toMatch(/submitted/);
    expect(whyCannotDecide({ ...base, decisions: [{ actor: 'alice' }] }, me)).toMatch(/one step/);
    expect(whyCannotDecide({ ...base, steps: [{ index: 1, role: 'finance', status: 'OPEN', escalatedTo: 'cfo' }] }, me)).toMatch(/step 2.*finance or cfo/);
  });
  it('counts an escalation role', () => {
    expect(whyCannotDecide({ ...base, steps: [{ index: 0, role: 'finance', status: 'OPEN', escalatedTo: 'support_agent' }] }, me)).toBeNull();
  });
});

describe('describeEvent', () => {
  it('says what happened', () => {
    expect(describeEvent({ type: 'REQUEST_SUBMITTED', actor: 'bot', data: { route: 'HUMAN', matchedRule: null } })).toBe('Submitted, routed HUMAN by the default');
    expect(describeEvent({ type: 'REQUEST_SUBMITTED', actor: 'bot', data: { route: 'HUMAN', matchedRule: 'large' } })).toBe('Submitted, routed HUMAN by rule large');
    expect(describeEvent({ type: 'STEP_OPENED', actor: 'system', data: { step: 0, role: 'support_agent', quorum: 2 } })).toBe('Opened step 1 for support_agent (2 approvals needed)');
    expect(describeEvent({ type: 'STEP_APPROVED', actor: 'a', data: { step: 1, edited: true, comment: 'ok' } })).toBe('Approved step 2, with an edited action — “ok”');
    expect(describeEvent({ type: 'APPROVAL_RECORDED', actor: 'a', data: { step: 0, approvals: 1, quorum: 2 } })).toBe('Approved step 1 (1 of 2)');
    expect(describeEvent({ type: 'REQUEST_REJECTED', actor: 'a', data: { step: 0, reasonCode: 'fraud', comment: null } })).toBe('Rejected at step 1 — reason fraud');
    expect(describeEvent({ type: 'REQUEST_REJECTED', actor: 'system', data: { by: 'policy', reasonCode: 'blocked' } })).toBe('Rejected by the policy — reason blocked');
    expect(describeEvent({ type: 'REQUEST_ESCALATED', actor: 'system', data: { step: 0, toRole: 'manager' } })).toBe('Escalated step 1 to manager (overdue)');
    expect(describeEvent({ type: 'REQUEST_CANCELLED', actor: 'bot', data: { bySubmitter: true, reason: 'withdrawn' } })).toBe('Cancelled by its submitter — “withdrawn”');
    expect(describeEvent({ type: 'EXECUTION_REPORTED', actor: 'bot', data: { success: false, error: 'timeout' } })).toBe('Execution failed: timeout');
    expect(describeEvent({ type: 'EXECUTION_REPORTED', actor: 'bot', data: { success: true, externalRef: 'x1' } })).toBe('Executed (x1)');
    expect(describeEvent({ type: 'WEBHOOK_ATTEMPTED', actor: 'system', data: { attempt: 2, statusCode: 500 } })).toBe('Webhook delivery attempt 2 → 500');
    expect(describeEvent({ type: 'SAMPLE_REVIEWED', actor: 'q', data: { verdict: 'INCORRECT', reasonCode: 'wrong_amount' } })).toBe('QA verdict INCORRECT — reason wrong_amount');
    expect(describeEvent({ type: 'SOMETHING_NEW', actor: 'x', data: null })).toBe('Something new');
  });
});
