// Just enough GraphQL reading for the query page (the `graphql` package is not shipped): which
// operations a document holds and of what type, the variables, the introspected types as text.

export type OperationKind = 'query' | 'mutation' | 'subscription';

export interface OperationInfo {
  kind: OperationKind;
  /** Null for an anonymous operation. */
  name: string | null;
  /** Offsets of the definition in the document: `[start, end)`. */
  start: number;
  end: number;
}

const NAME_START = /[_A-Za-z]/;
const NAME_CHAR = /[_0-9A-Za-z]/;

/**
 * The top-level definitions of a document that are operations, in order. Comments and strings
 * are skipped; a `{` at the top level is the query shorthand; fragments are not operations.
 */
export function operations(doc: string): OperationInfo[] {
  const ops: OperationInfo[] = [];
  let i = 0;
  let depth = 0; // braces and parentheses
  let current: { kind: OperationKind | 'fragment' | 'other'; name: string | null; start: number; opened: boolean } | null = null;
  const close = (end: number) => {
    if (current && current.kind !== 'fragment' && current.kind !== 'other') ops.push({ kind: current.kind, name: current.name, start: current.start, end });
    current = null;
  };
  while (i < doc.length) {
    const c = doc[i] as string;
    if (c === '#') {
      while (i < doc.length && doc[i] !== '\n' && doc[i] !== '\r') i++;
      continue;
    }
    if (c === '"') {
      if (doc.startsWith('"""', i)) {
        i += 3;
        while (i < doc.length && !doc.startsWith('"""', i)) i += doc.startsWith('\\"""', i) ? 4 : 1;
        i += 3;
      } else {
        i++;
        while (i < doc.length && doc[i] !== '"' && doc[i] !== '\n') i += doc[i] === '\\' ? 2 : 1;
        i++;
      }
      continue;
    }
    if (c === '{' || c === '(' || c === '[') {
      if (depth === 0 && c === '{') {
        if (!current) current = { kind: 'query', name: null, start: i, opened: true };
        else current.opened = true;
      }
      depth++;
      i++;
      continue;
    }
    if (c === '}' || c === ')' || c === ']') {
      depth = Math.max(0, depth - 1);
      i++;
      if (depth === 0 && c === '}' && current?.opened) close(i);
      continue;
    }
    if (depth === 0 && NAME_START.test(c)) {
      let j = i + 1;
      while (j < doc.length && NAME_CHAR.test(doc[j] as string)) j++;
      const word = doc.slice(i, j);
      if (!current) {
        const kind = word === 'query' || word === 'mutation' || word === 'subscription' || word === 'fragment' ? word : 'other';
        current = { kind, name: null, start: i, opened: false };
        // The operation's name, if the next token is one.
        let k = j;
        while (k < doc.length && /[\s,]/.test(doc[k] as string)) k++;
        if (kind !== 'other' && k < doc.length && NAME_START.test(doc[k] as string)) {
          let e = k + 1;
          while (e < doc.length && NAME_CHAR.test(doc[e] as string)) e++;
          current.name = doc.slice(k, e);
          j = e;
        }
      }
      i = j;
      continue;
    }
    i++;
  }
  // An unfinished last definition still counts (the server then says what is missing).
  if (current) close(doc.length);
  return ops;
}

/** The operation to run: the one named `operationName`, or the only one. */
export function pickOperation(doc: string, operationName?: string | null): { op: OperationInfo; error?: undefined } | { op?: undefined; error: string } {
  const ops = operations(doc);
  const wanted = operationName?.trim();
  if (ops.length === 0) return { error: 'The document holds no operation (query, mutation or subscription).' };
  if (wanted) {
    const op = ops.find((o) => o.name === wanted);
    return op ? { op } : { error: `No operation is named "${wanted}".` };
  }
  if (ops.length > 1) return { error: 'The document holds several operations: give the operation name to run.' };
  return { op: ops[0] as OperationInfo };
}

/** The type of the operation to run (`query` when it cannot tell). */
export function operationKind(doc: string, operationName?: string | null): OperationKind {
  return pickOperation(doc, operationName).op?.kind ?? 'query';
}

/**
 * The document with the chosen operation moved first (the client sends the first operation's
 * name as `operationName`); every other definition, fragments included, is kept.
 */
export function withOperationFirst(doc: string, op: OperationInfo): string {
  if (op.start === 0 || doc.slice(0, op.start).trim() === '') return doc;
  return `${doc.slice(op.start, op.end)}\n\n${doc.slice(0, op.start)}${doc.slice(op.end)}`;
}

/** Variables typed as JSON: an object, or nothing when empty; otherwise why not. */
export function parseVariables(text: string): { value: Record<string, unknown>; error?: undefined } | { value?: undefined; error: string } {
  if (text.trim() === '') return { value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { error: `Variables are not valid JSON: ${(e as Error).message}` };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'Variables must be a JSON object, like {"first": 10}.' };
  return { value: parsed as Record<string, unknown> };
}

/** `value` without the `__typename` fields the client adds to every selection. */
export function stripTypename(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTypename);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => k !== '__typename')
        .map(([k, v]) => [k, stripTypename(v)]),
    );
  }
  return value;
}

/** True when the document asks for `__typename` itself (then the response keeps it). */
export function asksForTypename(doc: string): boolean {
  return /(^|[^_0-9A-Za-z])__typename([^_0-9A-Za-z]|$)/.test(doc.replace(/#[^\n\r]*/g, ''));
}

export interface TypeRef {
  kind: string;
  name?: string | null;
  ofType?: TypeRef | null;
}

/** An introspected type reference as SDL: `[String!]!`. */
export function typeText(t: TypeRef | null | undefined): string {
  if (!t) return '?';
  if (t.kind === 'NON_NULL') return `${typeText(t.ofType)}!`;
  if (t.kind === 'LIST') return `[${typeText(t.ofType)}]`;
  return t.name ?? '?';
}

export interface HistoryEntry {
  query: string;
  variables: string;
  operationName: string;
  /** When it ran (RFC 3339). */
  at: string;
}

export const HISTORY_KEY = 'countersign.queryHistory';
export const HISTORY_MAX = 20;

/** `entry` first, an identical earlier one dropped, at most `max` kept. */
export function addToHistory(list: readonly HistoryEntry[], entry: HistoryEntry, max = HISTORY_MAX): HistoryEntry[] {
  const same = (h: HistoryEntry) => h.query === entry.query && h.variables === entry.variables && h.operationName === entry.operationName;
  return [entry, ...list.filter((h) => !same(h))].slice(0, max);
}

function isEntry(v: unknown): v is HistoryEntry {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return typeof e['query'] === 'string' && typeof e['variables'] === 'string' && typeof e['operationName'] === 'string' && typeof e['at'] === 'string';
}

/** The saved history (only what a query is: text, variables, name, time — never a credential). */
export function loadHistory(storage: Pick<Storage, 'getItem'>): HistoryEntry[] {
  try {
    const raw = JSON.parse(storage.getItem(HISTORY_KEY) ?? '[]') as unknown;
    return Array.isArray(raw) ? raw.filter(isEntry).slice(0, HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

export function saveHistory(storage: Pick<Storage, 'setItem'>, list: readonly HistoryEntry[]): void {
  const clean = list.slice(0, HISTORY_MAX).map(({ query, variables, operationName, at }) => ({ query, variables, operationName, at }));
  try {
    storage.setItem(HISTORY_KEY, JSON.stringify(clean));
  } catch {
    // Storage full or refused: history is a convenience.
  }
}

/** A one-line title for a history entry: the operation name or the first meaningful line. */
export function historyTitle(entry: HistoryEntry): string {
  if (entry.operationName) return entry.operationName;
  const first = operations(entry.query)[0];
  if (first?.name) return `${first.kind} ${first.name}`;
  const line = entry.query
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  return (line ?? '(empty)').slice(0, 60);
}

/** A GraphQL error as the server sent it (message, locations, path, extensions), for display. */
export function errorJson(error: unknown): Record<string, unknown> {
  if (!error || typeof error !== 'object') return { message: String(error) };
  const e = error as Record<string, unknown>;
  const original = e['originalError'];
  const raw = original && typeof original === 'object' && typeof (original as Record<string, unknown>)['message'] === 'string' ? (original as Record<string, unknown>) : e;
  const out: Record<string, unknown> = { message: typeof raw['message'] === 'string' ? raw['message'] : String(e['message'] ?? '') };
  for (const key of ['locations', 'path', 'extensions']) {
    const v = raw[key] ?? e[key];
    if (v === undefined || v === null) continue;
    if (key === 'extensions' && typeof v === 'object' && Object.keys(v as object).length === 0) continue;
    out[key] = v;
  }
  return out;
}

/** One line per error: `message (CODE) at a.b.0`. */
export function errorLine(error: Record<string, unknown>): string {
  const ext = error['extensions'] as Record<string, unknown> | undefined;
  const code = typeof ext?.['code'] === 'string' ? ` (${ext['code'] as string})` : '';
  const path = Array.isArray(error['path']) && error['path'].length > 0 ? ` at ${(error['path'] as unknown[]).join('.')}` : '';
  return `${String(error['message'])}${code}${path}`;
}
