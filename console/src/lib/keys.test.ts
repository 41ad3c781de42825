import { describe, expect, it } from 'vitest';
import { commandFor, isTypingTarget, keyHelp, keyTarget, moveCursor, type KeyContext } from './keys';

const queue: KeyContext = { scope: 'queue', dialogOpen: false };
const item: KeyContext = { scope: 'item', dialogOpen: false };
const body = { tagName: 'BODY' };

describe('commandFor', () => {
  it('maps the queue keys', () => {
    expect(commandFor({ key: 'j', target: body }, queue)).toBe('down');
    expect(commandFor({ key: 'k', target: body }, queue)).toBe('up');
    expect(commandFor({ key: 'o', target: body }, queue)).toBe('open');
    expect(commandFor({ key: 'Enter', target: body }, queue)).toBe('open');
    expect(commandFor({ key: 'a', target: body }, queue)).toBe('approve');
    expect(commandFor({ key: 'e', target: body }, queue)).toBe('edit');
    expect(commandFor({ key: 'r', target: body }, queue)).toBe('reject');
    expect(commandFor({ key: 'x', target: body }, queue)).toBe('select');
    expect(commandFor({ key: '?', target: body }, queue)).toBe('help');
    expect(commandFor({ key: 'u', target: body }, queue)).toBeNull();
    expect(commandFor({ key: 'q', target: body }, queue)).toBeNull();
  });

  it('maps the item keys, without select or open', () => {
    expect(commandFor({ key: 'j', target: body }, item)).toBe('down');
    expect(commandFor({ key: 'a', target: body }, item)).toBe('approve');
    expect(commandFor({ key: 'e', target: body }, item)).toBe('edit');
    expect(commandFor({ key: 'r', target: body }, item)).toBe('reject');
    expect(commandFor({ key: 'u', target: body }, item)).toBe('back');
    expect(commandFor({ key: 'x', target: body }, item)).toBeNull();
    expect(commandFor({ key: 'Enter', target: body }, item)).toBeNull();
  });

  it('is case sensitive (Shift+J is not j) and ignores modifiers', () => {
    expect(commandFor({ key: 'J', target: body }, queue)).toBeNull();
    expect(commandFor({ key: 'a', ctrlKey: true, target: body }, queue)).toBeNull();
    expect(commandFor({ key: 'r', metaKey: true, target: body }, queue)).toBeNull();
    expect(commandFor({ key: 'e', altKey: true, target: body }, queue)).toBeNull();
  });

  it('ignores keys while typing', () => {
    for (const target of [
      { tagName: 'INPUT', type: 'text' },
      { tagName: 'input', type: 'search' },
      { tagName: 'INPUT' },
      { tagName: 'TEXTAREA' },
      { tagName: 'SELECT' },
      { tagName: 'DIV', isContentEditable: true },
      { tagName: 'DIV', role: 'textbox' },
    ]) {
      expect(commandFor({ key: 'a', target }, queue)).toBeNull();
      expect(commandFor({ key: 'j', target }, item)).toBeNull();
    }
  });

  it('keeps shortcuts on checkboxes and buttons, but leaves Enter to them', () => {
    const checkbox = { tagName: 'INPUT', type: 'checkbox' };
    expect(commandFor({ key: 'j', target: checkbox }, queue)).toBe('down');
    expect(commandFor({ key: 'x', target: checkbox }, queue)).toBe('select');
    expect(commandFor({ key: 'Enter', target: checkbox }, queue)).toBeNull();
    expect(commandFor({ key: 'Enter', target: { tagName: 'A' } }, queue)).toBeNull();
    expect(commandFor({ key: 'Enter', target: { tagName: 'BUTTON' } }, queue)).toBeNull();
    expect(commandFor({ key: 'o', target: { tagName: 'A' } }, queue)).toBe('open');
    expect(commandFor({ key: 'Enter', target: { tagName: 'TR' } }, queue)).toBe('open');
  });

  it('ignores every key while a dialog is open', () => {
    expect(commandFor({ key: 'j', target: body }, { scope: 'queue', dialogOpen: true })).toBeNull();
    expect(commandFor({ key: '?', target: body }, { scope: 'item', dialogOpen: true })).toBeNull();
  });

  it('does not treat inherited object keys as commands', () => {
    expect(commandFor({ key: 'toString', target: body }, queue)).toBeNull();
    expect(commandFor({ key: 'constructor', target: body }, item)).toBeNull();
  });

  it('works without a target', () => {
    expect(commandFor({ key: 'j' }, queue)).toBe('down');
    expect(commandFor({ key: 'Enter', target: null }, queue)).toBe('open');
  });
});

describe('isTypingTarget', () => {
  it('tells text fields from other controls', () => {
    expect(isTypingTarget(null)).toBe(false);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'email' })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'radio' })).toBe(false);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'submit' })).toBe(false);
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false);
  });
});

describe('moveCursor', () => {
  it('starts at the first row from no cursor', () => {
    expect(moveCursor(-1, 1, 5)).toBe(0);
    expect(moveCursor(-1, -1, 5)).toBe(0);
  });
  it('moves and clamps', () => {
    expect(moveCursor(0, 1, 5)).toBe(1);
    expect(moveCursor(4, 1, 5)).toBe(4);
    expect(moveCursor(0, -1, 5)).toBe(0);
    expect(moveCursor(3, -1, 5)).toBe(2);
  });
  it('has no cursor without rows, and comes back into range when rows went away', () => {
    expect(moveCursor(2, 1, 0)).toBe(-1);
    expect(moveCursor(7, 1, 3)).toBe(2);
  });
});

describe('keyTarget', () => {
  it('reads DOM elements', () => {
    const input = document.createElement('input');
    input.type = 'checkbox';
    expect(keyTarget(input)).toMatchObject({ tagName: 'INPUT', type: 'checkbox' });
    const div = document.createElement('div');
    div.setAttribute('role', 'textbox');
    expect(isTypingTarget(keyTarget(div))).toBe(true);
    expect(keyTarget(null)).toBeNull();
    expect(keyTarget(window)).toBeNull();
  });
});

describe('keyHelp', () => {
  it('lists every key a scope answers to', () => {
    const listed = (scope: 'queue' | 'item') => keyHelp(scope).flatMap((h) => h.keys);
    for (const key of ['j', 'k', 'Enter', 'o', 'a', 'e', 'r', 'x', '?']) {
      expect(listed('queue')).toContain(key);
      expect(commandFor({ key, target: body }, queue)).not.toBeNull();
    }
    for (const key of listed('item')) expect(commandFor({ key, target: body }, item)).not.toBeNull();
  });
});
