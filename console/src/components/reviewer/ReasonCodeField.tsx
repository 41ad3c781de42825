// The reason-code input: free text with suggestions (a datalist) of the codes used before in the
// workflow, most used first.

import { useId } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from '../../gql';

const ReasonCodesQuery = graphql(`
  query ReviewerReasonCodes($workflowKey: String) {
    reasonCodes(workflowKey: $workflowKey, first: 50) {
      code
      count
    }
  }
`);

export function ReasonCodeField(props: {
  workflowKey: string | null;
  value: string;
  onInput: (value: string) => void;
  /** Shown under the field (role=alert) when set. */
  problem?: string | null;
  label?: string;
  inputRef?: { current: HTMLInputElement | null };
  required?: boolean;
}) {
  const id = useId();
  const [codes] = useQuery({ query: ReasonCodesQuery, variables: { workflowKey: props.workflowKey } });
  const list = codes.data?.reasonCodes ?? [];
  return (
    <div class="rv-field">
      <label for={`${id}-code`}>{props.label ?? 'Reason code'}</label>
      <input
        id={`${id}-code`}
        ref={props.inputRef}
        list={`${id}-codes`}
        value={props.value}
        autocomplete="off"
        spellcheck={false}
        maxLength={64}
        required={props.required ?? true}
        aria-invalid={props.problem ? true : undefined}
        aria-describedby={`${id}-help${props.problem ? ` ${id}-problem` : ''}`}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      <datalist id={`${id}-codes`}>
        {list.map((c) => (
          <option key={c.code} value={c.code} label={`${c.code} (used ${c.count}×)`} />
        ))}
      </datalist>
      <p id={`${id}-help`} class="muted small">
        {list.length > 0
          ? `Pick one used before (${list
              .slice(0, 4)
              .map((c) => c.code)
              .join(', ')}${list.length > 4 ? ', …' : ''}) or type a new one: letters, digits and _ . : - /`
          : 'Type a code: letters, digits and _ . : - / (for example policy_violation).'}
      </p>
      {props.problem && (
        <p id={`${id}-problem`} role="alert" class="alert">
          {props.problem}
        </p>
      )}
    </div>
  );
}
