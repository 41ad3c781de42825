// Small displays of the reviewer pages: flags, due times, statuses.

import { useEffect, useState } from 'preact/hooks';
import { dateTime, isOverdue, relative } from '../../lib/format';

/** Risk flags and exceptions as badges, told apart by a word as well as colour; `duplicate` links to the earlier request. */
export function Flags(props: { riskFlags: readonly string[]; exceptions: readonly string[]; duplicateOf?: string | null; empty?: string }) {
  const { riskFlags, exceptions, duplicateOf } = props;
  if (riskFlags.length === 0 && exceptions.length === 0) return <span class="muted">{props.empty ?? 'None'}</span>;
  return (
    <ul class="rv-flags" aria-label="Risk flags and exceptions">
      {riskFlags.map((f) => (
        <li key={`r-${f}`}>
          <span class="badge risk">
            <span class="rv-flag-kind">Risk:</span> {f}
          </span>
        </li>
      ))}
      {exceptions.map((x) => (
        <li key={`x-${x}`}>
          <span class="badge exception">
            <span class="rv-flag-kind">Exception:</span> {x}
          </span>
          {x === 'duplicate' && duplicateOf && (
            <>
              {' '}
              <a href={`/requests/${duplicateOf}`} class="small">
                earlier request
              </a>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** The current time, refreshed every `ms` (so "in 3 min" and overdue markers stay true). */
export function useNow(ms = 30_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** A due time: relative, exact on hover and for assistive technology; overdue says so in words and with an icon. */
export function Due(props: { at: string | null | undefined; now: Date; none?: string }) {
  const { at, now } = props;
  if (!at) return <span class="muted">{props.none ?? 'No due time'}</span>;
  const overdue = isOverdue(at, now);
  const exact = dateTime(at);
  return (
    <span class={overdue ? 'overdue rv-due' : 'rv-due'}>
      {overdue && (
        <>
          <span aria-hidden="true">⚠ </span>
          <strong>Overdue</strong>{' '}
        </>
      )}
      <time dateTime={at} title={exact}>
        {overdue ? `(due ${relative(at, now)})` : `due ${relative(at, now)}`}
      </time>
      <span class="sr-only">, {exact}</span>
    </span>
  );
}

/** A request status enum as a badge with its text (never colour alone). */
export function Status(props: { status: string; testId?: string }) {
  const kind =
    props.status === 'PENDING'
      ? 'pending'
      : props.status === 'APPROVED' || props.status === 'EXECUTED'
        ? 'ok'
        : props.status === 'REJECTED' || props.status === 'EXECUTION_FAILED' || props.status === 'ROLLED_BACK'
          ? 'bad'
          : 'other';
  return (
    <span class={`rv-status ${kind}`} data-testid={props.testId}>
      {props.status}
    </span>
  );
}
