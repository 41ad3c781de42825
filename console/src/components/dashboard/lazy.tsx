// A page whose code is fetched on first visit, so the console's first load stays small (the
// dashboard and the query page are visited by few). A failed fetch (say, after an upgrade
// replaced the files) can be retried.

import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Loading } from '../common';

export function lazyPage(load: () => Promise<ComponentType>, what: string): ComponentType {
  let loaded: ComponentType | null = null;
  let loading: Promise<ComponentType> | null = null;
  return function LazyPage() {
    const [Page, setPage] = useState<ComponentType | null>(() => loaded);
    const [failure, setFailure] = useState<string | null>(null);
    const [attempt, setAttempt] = useState(0);
    useEffect(() => {
      if (Page) return;
      let live = true;
      loading ??= load();
      loading.then(
        (p) => {
          loaded = p;
          if (live) setPage(() => p);
        },
        (e: unknown) => {
          loading = null;
          if (live) setFailure(e instanceof Error ? e.message : String(e));
        },
      );
      return () => {
        live = false;
      };
    }, [attempt]);
    if (Page) return <Page />;
    if (failure) {
      return (
        <div role="alert" class="alert">
          <p>The {what} could not be loaded: {failure}</p>
          <button
            type="button"
            onClick={() => {
              setFailure(null);
              setAttempt(attempt + 1);
            }}
          >
            Try again
          </button>
        </div>
      );
    }
    return <Loading what={what} />;
  };
}
