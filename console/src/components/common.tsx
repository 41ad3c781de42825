// Small pieces every page uses.

import type { ComponentChildren } from 'preact';
import type { CombinedError } from '@urql/core';
import { errorText } from '../lib/client';
import type { DiffLine } from '../lib/diff';

/** An operation's error, announced to screen readers. */
export function ErrorBox({ error }: { error: CombinedError | undefined | null }) {
  if (!error) return null;
  return (
    <p role="alert" class="alert">
      {errorText(error)}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p aria-busy="true" class="muted">
      Loading {what}…
    </p>
  );
}

/** A line diff; `label` names it for assistive technology. */
export function Diff({ lines, label }: { lines: DiffLine[]; label: string }) {
  return (
    <div class="diff" role="region" aria-label={label} tabIndex={0}>
      {lines.map((l, i) => (
        <div key={i} class={l.kind === 'same' ? '' : l.kind}>
          <span aria-hidden="true">{l.kind === 'add' ? '+ ' : l.kind === 'del' ? '- ' : '  '}</span>
          {l.kind === 'add' && <span class="sr-only">added: </span>}
          {l.kind === 'del' && <span class="sr-only">removed: </span>}
          {l.text}
        </div>
      ))}
    </div>
  );
}

/** A labelled figure with a tooltip saying how it is computed. */
export function Figure(props: { label: string; value: ComponentChildren; how?: string; testId?: string }) {
  return (
    <div class="figure" data-testid={props.testId}>
      <div class="figure-label">
        {props.label}
        {props.how && (
          <span class="how" tabIndex={0} role="note" aria-label={`How ${props.label} is computed: ${props.how}`} title={props.how}>
            ?
          </span>
        )}
      </div>
      <div class="figure-value">{props.value}</div>
    </div>
  );
}
