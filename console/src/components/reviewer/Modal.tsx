// A modal <dialog>: opened with showModal() (focus moves to its first field, or its first button),
// closed by Escape or its buttons, focus returned to where it was.

import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

export function Modal(props: { open: boolean; title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      const previous = document.activeElement as HTMLElement | null;
      dialog.showModal();
      const first =
        dialog.querySelector<HTMLElement>('[data-autofocus]') ??
        dialog.querySelector<HTMLElement>('input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select:not([disabled])') ??
        dialog.querySelector<HTMLElement>('button:not([disabled])');
      first?.focus();
      return () => {
        if (dialog.open) dialog.close();
        if (previous && previous.isConnected) previous.focus();
      };
    }
    if (!props.open && dialog.open) dialog.close();
    return undefined;
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      class={props.wide ? 'rv-dialog wide' : 'rv-dialog'}
      onCancel={(e) => {
        e.preventDefault();
        onClose.current();
      }}
    >
      {props.open && (
        <>
          <h2 id={titleId}>{props.title}</h2>
          {props.children}
        </>
      )}
    </dialog>
  );
}
