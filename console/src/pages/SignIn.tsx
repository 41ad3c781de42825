import { useState } from 'preact/hooks';
import { credentialKind, jwtExpiry, notifyAuthChange, setToken, takeSignedOutReason } from '../lib/auth';

/** Paste a JWT or an API key. It is checked by the server (`me`) once stored. */
export function SignIn() {
  const [reason] = useState(() => takeSignedOutReason());
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    const token = value.trim();
    const kind = credentialKind(token);
    if (!kind) {
      setProblem('This is neither a JWT (three dot-separated parts) nor an API key (cs_…).');
      return;
    }
    const exp = jwtExpiry(token);
    if (exp && exp.getTime() < Date.now()) {
      setProblem(`This token expired at ${exp.toISOString()}. Mint a new one (for example with \`countersign token\`).`);
      return;
    }
    setToken(token);
    notifyAuthChange();
  };
  return (
    <main class="signin">
      <h1>Countersign</h1>
      <p class="muted">Approvals for what your AI proposes.</p>
      {reason && (
        <p role="alert" class="alert" data-testid="signed-out-reason">
          {reason}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="token">JWT or API key</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          autocomplete="off"
          spellcheck={false}
          required
          value={value}
          aria-describedby="token-help"
          onInput={(e) => {
            setValue((e.target as HTMLTextAreaElement).value);
            setProblem(null);
          }}
        />
        <p id="token-help" class="muted small">
          Kept in this tab only (sessionStorage) until you sign out or close it. An administrator can mint one with{' '}
          <code>countersign token</code> or create an API key.
        </p>
        {problem && (
          <p role="alert" class="alert">
            {problem}
          </p>
        )}
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
