import { describe, expect, it } from 'vitest';
import { newKeyProblems, parseRoles, powerfulRoles } from './apikeys';

describe('new API keys', () => {
  it('reads roles separated by commas or spaces, once each', () => {
    expect(parseRoles(' agent, support_agent  agent,,')).toEqual(['agent', 'support_agent']);
    expect(parseRoles('')).toEqual([]);
  });
  it('requires a principal and valid roles', () => {
    expect(newKeyProblems('', [])).toHaveLength(2);
    expect(newKeyProblems('refund-agent', ['agent'])).toEqual([]);
    expect(newKeyProblems('a', ['bad/role'])[0]).toMatch(/bad\/role/);
  });
  it('flags admin and auditor keys', () => {
    expect(powerfulRoles(['agent', 'admin'])).toEqual(['admin']);
  });
});
