// Keyboard shortcuts of the reviewer pages (queue and request), as pure functions: which command
// a key press means where it happened, and how the queue's cursor moves. The pages only wire
// `keydown` to `commandFor` and act on the answer.

export type KeyScope = 'queue' | 'item';

export type KeyCommand =
  | 'down' // j: queue cursor down; item view: next request in the queue
  | 'up' // k: queue cursor up; item view: previous request in the queue
  | 'open' // Enter / o (queue)
  | 'approve' // a
  | 'edit' // e
  | 'reject' // r
  | 'select' // x (queue)
  | 'back' // u (item view): back to the queue
  | 'help'; // ?

/** What is known about the element a key press came from. */
export interface KeyTarget {
  tagName: string;
  /** `type` of an <input>. */
  type?: string | null;
  isContentEditable?: boolean;
  /** ARIA role, when one is set. */
  role?: string | null;
}

export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  target?: KeyTarget | null;
}

export interface KeyContext {
  scope: KeyScope;
  /** True while a modal dialog is open: its own keys win. */
  dialogOpen: boolean;
}

/** Input types that do not take text: keys pressed on them are shortcuts. */
const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'image', 'range', 'color', 'file']);
const TEXT_ROLES = new Set(['textbox', 'searchbox', 'combobox', 'spinbutton']);

/** True when keys pressed on `target` are typing (text inputs, textareas, selects, editable content). */
export function isTypingTarget(target: KeyTarget | null | undefined): boolean {
  if (!target) return false;
  if (target.isContentEditable) return true;
  if (target.role && TEXT_ROLES.has(target.role)) return true;
  const tag = target.tagName.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !NON_TEXT_INPUTS.has((target.type ?? 'text').toLowerCase());
  return false;
}

/** True when Enter on `target` already does something (follows a link, presses a button, toggles a box). */
function enterIsNative(target: KeyTarget | null | undefined): boolean {
  if (!target) return false;
  const tag = target.tagName.toUpperCase();
  if (tag === 'A' || tag === 'BUTTON' || tag === 'SUMMARY' || tag === 'INPUT') return true;
  return target.role === 'button' || target.role === 'link' || target.role === 'checkbox';
}

const QUEUE_KEYS: Record<string, KeyCommand> = {
  j: 'down',
  k: 'up',
  o: 'open',
  Enter: 'open',
  a: 'approve',
  e: 'edit',
  r: 'reject',
  x: 'select',
  '?': 'help',
};

const ITEM_KEYS: Record<string, KeyCommand> = {
  j: 'down',
  k: 'up',
  a: 'approve',
  e: 'edit',
  r: 'reject',
  u: 'back',
  '?': 'help',
};

/**
 * The command a key press means in `ctx`, or null when the page should leave it alone: while
 * typing, while a dialog is open, with Ctrl/Meta/Alt held (browser and system shortcuts), and for
 * Enter on something that handles Enter itself.
 */
export function commandFor(press: KeyPress, ctx: KeyContext): KeyCommand | null {
  if (ctx.dialogOpen) return null;
  if (press.ctrlKey || press.metaKey || press.altKey) return null;
  if (isTypingTarget(press.target)) return null;
  const table = ctx.scope === 'queue' ? QUEUE_KEYS : ITEM_KEYS;
  const command = Object.prototype.hasOwnProperty.call(table, press.key) ? table[press.key] : undefined;
  if (!command) return null;
  if (press.key === 'Enter' && enterIsNative(press.target)) return null;
  return command;
}

/**
 * The cursor after moving it by `delta` over `length` rows: -1 (no cursor) when there are no
 * rows; from no cursor, any move lands on the first row; otherwise clamped to the rows.
 */
export function moveCursor(cursor: number, delta: number, length: number): number {
  if (length <= 0) return -1;
  if (cursor < 0 || cursor >= length) return cursor >= length ? length - 1 : 0;
  return Math.min(length - 1, Math.max(0, cursor + delta));
}

/** Describes a DOM event target for `commandFor`. */
export function keyTarget(target: EventTarget | null): KeyTarget | null {
  if (!target || typeof (target as Element).tagName !== 'string') return null;
  const el = target as HTMLElement;
  return {
    tagName: el.tagName,
    type: el instanceof HTMLInputElement ? el.type : null,
    isContentEditable: el.isContentEditable === true,
    role: el.getAttribute('role'),
  };
}

export interface KeyHelp {
  keys: string[];
  what: string;
}

/** The keys of a scope, for the "?" dialog. */
export function keyHelp(scope: KeyScope): KeyHelp[] {
  if (scope === 'queue') {
    return [
      { keys: ['j', 'k'], what: 'Move the cursor down / up' },
      { keys: ['Enter', 'o'], what: 'Open the request under the cursor' },
      { keys: ['x'], what: 'Select or unselect the request under the cursor' },
      { keys: ['a'], what: 'Approve the selected requests (or the one under the cursor); asks to confirm' },
      { keys: ['e'], what: 'Open the request under the cursor to edit its action, then approve' },
      { keys: ['r'], what: 'Reject the selected requests (asks for a reason code), or open the one under the cursor to reject it' },
      { keys: ['?'], what: 'Show this list' },
    ];
  }
  return [
    { keys: ['j', 'k'], what: 'Next / previous request in your queue' },
    { keys: ['a'], what: 'Approve this request; asks to confirm' },
    { keys: ['e'], what: 'Edit the action, then approve' },
    { keys: ['r'], what: 'Reject (with a reason code)' },
    { keys: ['u'], what: 'Back to the queue' },
    { keys: ['?'], what: 'Show this list' },
  ];
}
