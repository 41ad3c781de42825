// Line diffs of JSON documents (a reviewer's edit against the AI's draft, two policy versions),
// compared pretty-printed with sorted keys so only real changes show.

import { diffLines } from 'diff';
import { prettyJson } from './format';

export interface DiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
}

/** The lines of `before` and `after` (any JSON values), each marked same, added or removed. */
export function jsonDiff(before: unknown, after: unknown): DiffLine[] {
  return textDiff(prettyJson(before), prettyJson(after));
}

export function textDiff(before: string, after: string): DiffLine[] {
  const out: DiffLine[] = [];
  for (const part of diffLines(before, after)) {
    const kind = part.added ? 'add' : part.removed ? 'del' : 'same';
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) out.push({ kind, text });
  }
  return out;
}

/** True when the diff has any change. */
export function changed(lines: DiffLine[]): boolean {
  return lines.some((l) => l.kind !== 'same');
}
