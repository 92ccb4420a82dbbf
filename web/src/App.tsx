/** Decides what to show: sign-in without a session, else the layout around the page the URL names. */
import { useEffect } from 'react';
import { useSession } from './http/session';
import { Layout } from './pages/Layout';
import { NewRunPage } from './pages/NewRunPage';
import { NotFound } from './pages/NotFound';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/RunsPage';
import { SignIn } from './pages/SignIn';
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
  if (path === '/runs/new') return <NewRunPage />;
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) return <RunPage runId={decodeURIComponent(run[1]!)} />;
  return <NotFound />;
}
