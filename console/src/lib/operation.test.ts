import { describe, expect, it } from 'vitest';
import {
  addToHistory, asksForTypename, historyTitle, HISTORY_KEY, loadHistory, operationKind, operations, parseVariables, pickOperation,
  saveHistory, stripTypename, typeText, withOperationFirst, errorJson, errorLine, type HistoryEntry,
} from './operation';

describe('operations', () => {
  it('tells queries, mutations and subscriptions apart', () => {
    expect(operationKind('{ me { subject } }')).toBe('query');
    expect(operationKind('query Me { me { subject } }')).toBe('query');
    expect(operationKind('mutation { revokeApiKey(id: "1") }')).toBe('mutation');
    expect(operationKind('  # a comment with mutation in it\nsubscription Live($after: Int) { approvalEvents(afterSeq: $after) { seq } }')).toBe('subscription');
  });
  it('is not fooled by keywords in strings, comments, arguments or field names', () => {
    expect(operationKind('query { workflow(key: "mutation") { key } } # mutation')).toBe('query');
    expect(operationKind('{ mutation: me { subject } }')).toBe('query');
    expect(operationKind('query Q($p: JSON = {mutation: 1}) { me { subject } }')).toBe('query');
    expect(operationKind('query { a(s: """ multi\n mutation { x } """) }')).toBe('query');
  });
  it('lists operations with names and spans, skipping fragments', () => {
    const doc = 'fragment F on Me { subject }\nquery A { me { ...F } }\nmutation B { revokeApiKey(id: "x") }';
    const ops = operations(doc);
    expect(ops.map((o) => [o.kind, o.name])).toEqual([['query', 'A'], ['mutation', 'B']]);
    expect(doc.slice(ops[1]!.start, ops[1]!.end)).toBe('mutation B { revokeApiKey(id: "x") }');
  });
  it('picks by name, or the only one', () => {
    const doc = 'query A { me { subject } } mutation B { revokeApiKey(id: "x") }';
    expect(pickOperation(doc, 'B').op?.kind).toBe('mutation');
    expect(operationKind(doc, 'B')).toBe('mutation');
    expect(pickOperation(doc).error).toMatch(/several operations/);
    expect(pickOperation(doc, 'C').error).toMatch(/No operation is named "C"/);
    expect(pickOperation('# nothing').error).toMatch(/no operation/);
    expect(pickOperation('fragment F on Me { subject }').error).toMatch(/no operation/);
    // An unfinished operation is still one: the parser or the server says what is wrong.
    expect(pickOperation('mutation M { revokeApiKey(id: "x")').op).toMatchObject({ kind: 'mutation', name: 'M' });
    expect(pickOperation('{ me { subject }').op?.kind).toBe('query');
  });
  it('moves the chosen operation first and keeps the rest', () => {
    const doc = 'query A { me { ...F } }\nmutation B { x }\nfragment F on Me { subject }';
    const b = pickOperation(doc, 'B').op!;
    const moved = withOperationFirst(doc, b);
    expect(moved.startsWith('mutation B { x }')).toBe(true);
    expect(moved).toContain('query A { me { ...F } }');
    expect(moved).toContain('fragment F on Me { subject }');
    expect(operations(moved).map((o) => o.name)).toEqual(['B', 'A']);
    const a = pickOperation(doc, 'A').op!;
    expect(withOperationFirst(doc, a)).toBe(doc);
  });
});

describe('variables and responses', () => {
  it('parses variables as a JSON object', () => {
    expect(parseVariables('')).toEqual({ value: {} });
    expect(parseVariables('{"first": 5}')).toEqual({ value: { first: 5 } });
    expect(parseVariables('[1]').error).toMatch(/JSON object/);
    expect(parseVariables('{first: 5}').error).toMatch(/not valid JSON/);
  });
  it('drops the __typename the client added unless asked for', () => {
    expect(stripTypename({ __typename: 'Q', me: { __typename: 'Me', subject: 'a', list: [{ __typename: 'X', v: 1 }] } })).toEqual({ me: { subject: 'a', list: [{ v: 1 }] } });
    expect(asksForTypename('{ me { __typename subject } }')).toBe(true);
    expect(asksForTypename('{ me { subject } } # __typename')).toBe(false);
    expect(asksForTypename('{ me { my__typename } }')).toBe(false);
  });
  it('prints introspected types as SDL', () => {
    expect(typeText({ kind: 'NON_NULL', ofType: { kind: 'LIST', ofType: { kind: 'NON_NULL', ofType: { kind: 'OBJECT', name: 'Workflow' } } } })).toBe('[Workflow!]!');
    expect(typeText({ kind: 'SCALAR', name: 'Int' })).toBe('Int');
    expect(typeText(null)).toBe('?');
  });
});

describe('history', () => {
  const entry = (query: string, at = '2026-12-01T00:00:00Z'): HistoryEntry => ({ query, variables: '', operationName: '', at });
  it('keeps the newest first, without duplicates, at most 20', () => {
    let list: HistoryEntry[] = [];
    for (let i = 0; i < 25; i++) list = addToHistory(list, entry(`{ q${i} }`));
    expect(list).toHaveLength(20);
    expect(list[0]!.query).toBe('{ q24 }');
    list = addToHistory(list, entry('{ q20 }', 'later'));
    expect(list).toHaveLength(20);
    expect(list[0]).toEqual(entry('{ q20 }', 'later'));
    expect(list.filter((h) => h.query === '{ q20 }')).toHaveLength(1);
  });
  it('stores only the query, its variables, name and time', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const sneaky = { ...entry('{ me { subject } }'), token: 'secret' } as HistoryEntry;
    saveHistory(storage, [sneaky]);
    expect(store.get(HISTORY_KEY)).not.toContain('secret');
    expect(loadHistory(storage)).toEqual([entry('{ me { subject } }')]);
    store.set(HISTORY_KEY, 'not json');
    expect(loadHistory(storage)).toEqual([]);
    store.set(HISTORY_KEY, JSON.stringify([{ query: 1 }, entry('{ a }')]));
    expect(loadHistory(storage)).toEqual([entry('{ a }')]);
  });
  it('titles entries', () => {
    expect(historyTitle({ ...entry('query A { a }'), operationName: 'B' })).toBe('B');
    expect(historyTitle(entry('query A { a }'))).toBe('query A');
    expect(historyTitle(entry('# c\n{ me { subject } }'))).toBe('{ me { subject } }');
  });
});

describe('errors', () => {
  it('shows an error as the server sent it', () => {
    const raw = { message: 'workflow "nope" not found', locations: [{ line: 1, column: 12 }], path: ['setWorkflowMode'], extensions: { code: 'NOT_FOUND' } };
    expect(errorJson(raw)).toEqual(raw);
    expect(errorJson({ message: 'x', originalError: { message: 'x', locations: [{ line: 2, column: 1 }] }, extensions: {} })).toEqual({
      message: 'x',
      locations: [{ line: 2, column: 1 }],
    });
    expect(errorJson('boom')).toEqual({ message: 'boom' });
    expect(errorLine(raw)).toBe('workflow "nope" not found (NOT_FOUND) at setWorkflowMode');
    expect(errorLine({ message: 'm' })).toBe('m');
  });
});
