// A modal <dialog>: opened with showModal (focus trapped, the page inert behind it), the first
// field focused (or the element marked data-autofocus), Escape closes it, and focus goes back to
// whatever opened it.

import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

export function Dialog(props: { open: boolean; title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const closed = () => {
      onClose.current();
      const back = opener.current;
      if (back?.isConnected && !(back as HTMLButtonElement).disabled) back.focus();
    };
    d.addEventListener('close', closed);
    return () => d.removeEventListener('close', closed);
  }, []);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      d.showModal();
      const first =
        d.querySelector<HTMLElement>('[data-autofocus]') ??
        d.querySelector<HTMLElement>('input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])') ??
        d.querySelector<HTMLElement>('button:not([disabled])');
      first?.focus();
    } else if (!props.open && d.open) {
      d.close();
    }
  }, [props.open]);

  return (
    <dialog ref={ref} aria-labelledby={titleId} class={props.wide ? 'admin-dialog wide' : 'admin-dialog'}>
      <h2 id={titleId} class="dialog-title">
        {props.title}
      </h2>
      {props.open && props.children}
    </dialog>
  );
}
