/** Decides what to show: sign-in without a session, else the layout around the page the URL names. */
import { useEffect } from 'react';
import { useSession } from './http/session';
import { AdminPage } from './pages/AdminPage';
import { AlertsPage } from './pages/AlertsPage';
import { CostsPage } from './pages/CostsPage';
import { Layout } from './pages/Layout';
import { EnvironmentsPage } from './pages/EnvironmentsPage';
import { NodeClassesPage } from './pages/NodeClassesPage';
import { NewRunPage } from './pages/NewRunPage';
import { NotFound } from './pages/NotFound';
import { PipelinesPage } from './pages/PipelinesPage';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/RunsPage';
import { SignIn } from './pages/SignIn';
import { StackPage } from './pages/StackPage';
import { StacksPage } from './pages/StacksPage';
import { navigate, useLocation } from './lib/router';

/** The console: sign-in without a session, else the page the URL names inside the layout. */
export function App() {
  const session = useSession();
  const { path } = useLocation();
  useEffect(() => {
    if (path === '/') navigate('/runs', { replace: true });
  }, [path]);
  if (session.isPending) return <p className="loading">Loading…</p>;
  if (session.isError)
    return (
      <main className="signin">
        <p role="alert" className="error">
          The API did not answer: {session.error.message}
        </p>
      </main>
    );
  // The URL is left as it is, so signing in lands on the page a deep link asked for.
  if (session.data === null) return <SignIn />;
  return (
    <Layout session={session.data}>
      <Page path={path} />
    </Layout>
  );
}

function Page({ path }: { path: string }) {
  if (path === '/' || path === '/runs') return <RunsPage />;
  if (path === '/pipelines') return <PipelinesPage />;
  if (path === '/environments') return <EnvironmentsPage />;
  if (path === '/runs/new') return <NewRunPage />;
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) return <RunPage runId={decodeURIComponent(run[1]!)} />;
  if (path === '/stacks') return <StacksPage />;
  const stack = /^\/stacks\/([a-z][a-z0-9-]*)\/([a-z][a-z0-9-]*)$/.exec(path);
  if (stack) return <StackPage project={stack[1]!} stack={stack[2]!} />;
  if (path === '/node-classes') return <NodeClassesPage />;
  if (path === '/alerts') return <AlertsPage />;
  if (path === '/costs') return <CostsPage />;
  if (path === '/admin') return <AdminPage />;
  return <NotFound />;
}
