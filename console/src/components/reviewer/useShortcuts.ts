// Wires document keydown to the pure key logic (lib/keys.ts).

import { useEffect, useRef } from 'preact/hooks';
import { commandFor, keyTarget, type KeyCommand, type KeyScope } from '../../lib/keys';

/** Calls `onCommand` for the shortcuts of `scope`; a handled key does not reach the page. */
export function useShortcuts(scope: KeyScope, onCommand: (command: KeyCommand) => void): void {
  const handler = useRef(onCommand);
  handler.current = onCommand;
  useEffect(() => {
    const listener = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const command = commandFor(
        { key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, target: keyTarget(e.target) },
        { scope, dialogOpen: document.querySelector('dialog[open]') !== null },
      );
      if (!command) return;
      e.preventDefault();
      handler.current(command);
    };
    document.addEventListener('keydown', listener);
    return () => document.removeEventListener('keydown', listener);
  }, [scope]);
}
