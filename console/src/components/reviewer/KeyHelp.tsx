import { keyHelp, type KeyScope } from '../../lib/keys';
import { Modal } from './Modal';

/** The "?" dialog: every key of the page. */
export function KeyHelpDialog(props: { scope: KeyScope; open: boolean; onClose: () => void }) {
  return (
    <Modal open={props.open} title="Keyboard shortcuts" onClose={props.onClose}>
      <table class="rv-keys">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">What it does</th>
          </tr>
        </thead>
        <tbody>
          {keyHelp(props.scope).map((h) => (
            <tr key={h.what}>
              <td>
                {h.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 && ' or '}
                    <kbd class="kbd">{k}</kbd>
                  </span>
                ))}
              </td>
              <td>{h.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">Keys do nothing while you type in a field or while a dialog is open. Escape closes a dialog.</p>
      <div class="row rv-actions">
        <button type="button" class="primary" data-autofocus onClick={props.onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}

/** A visible hint that keys exist, opening the dialog on click. */
export function KeyHint(props: { onOpen: () => void }) {
  return (
    <button type="button" class="link small" onClick={props.onOpen} aria-haspopup="dialog">
      Keyboard shortcuts <kbd class="kbd">?</kbd>
    </button>
  );
}
