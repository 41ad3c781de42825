// The leaders' ROI dashboard (auditors and admins). Its code, and the chart library, are fetched
// on first visit: see components/dashboard/DashboardView.tsx.

import { useSession } from '../session';
import { lazyPage } from '../components/dashboard/lazy';

const DashboardView = lazyPage(() => import('../components/dashboard/DashboardView').then((m) => m.DashboardView), 'the dashboard');

export function Dashboard() {
  const session = useSession();
  if (!session.isOversight) {
    return (
      <section>
        <h1>Dashboard</h1>
        <p class="warn">The dashboard is for auditors and admins; your roles are {session.me.roles.join(', ') || 'none'}.</p>
      </section>
    );
  }
  return <DashboardView />;
}
