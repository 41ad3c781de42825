// The API keys page: reading the roles and principal typed for a new key.

/** The roles typed (comma or space separated): trimmed, without duplicates, in the order given. */
export function parseRoles(text: string): string[] {
  const out: string[] = [];
  for (const r of text.split(/[\s,]+/)) {
    const role = r.trim();
    if (role && !out.includes(role)) out.push(role);
  }
  return out;
}

/** Problems with a new key's input; empty when it may be sent. */
export function newKeyProblems(principal: string, roles: readonly string[]): string[] {
  const problems: string[] = [];
  if (!principal.trim()) problems.push('A principal is required: the id the key acts as (e.g. refund-agent).');
  if (roles.length === 0) problems.push('At least one role is required (e.g. agent).');
  const bad = roles.filter((r) => !/^[A-Za-z0-9_.:-]+$/.test(r));
  if (bad.length) problems.push(`Roles are names of letters, digits, _ . : - (not ${bad.map((b) => `"${b}"`).join(', ')}).`);
  return problems;
}

/** Roles that give a key powers beyond submitting actions, to warn about. */
export function powerfulRoles(roles: readonly string[]): string[] {
  return roles.filter((r) => r === 'admin' || r === 'auditor');
}
