// The query page: run GraphQL operations with the signed-in credential. Its code is fetched on
// first visit: see components/dashboard/QueryView.tsx.

import { lazyPage } from '../components/dashboard/lazy';

export const QueryPage = lazyPage(() => import('../components/dashboard/QueryView').then((m) => m.QueryView), 'the query page');
