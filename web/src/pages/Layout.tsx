/** The frame of every signed-in page: navigation, who is signed in with which role, and Sign out. */
import type { ReactNode } from 'react';
import { useSignOut, type Session } from '../http/session';
import { Link, useLocation } from '../lib/router';

/** Pages that exist, in the order the navigation shows them; Admin only to admins. */
const NAV: Array<{ href: string; label: string; adminOnly?: boolean }> = [
  { href: '/runs', label: 'Runs' },
  { href: '/pipelines', label: 'Pipelines' },
  { href: '/environments', label: 'Environments' },
  { href: '/stacks', label: 'Stacks' },
  { href: '/node-classes', label: 'Node classes' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/costs', label: 'Costs' },
  { href: '/admin', label: 'Admin', adminOnly: true },
];

/** The signed-in frame around a page. */
export function Layout({ session, children }: { session: Session; children: ReactNode }) {
  const signOut = useSignOut();
  const { path } = useLocation();
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/runs" className="brand">
          Capstan
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => !item.adminOnly || session.role === 'admin').map((item) => (
              <li key={item.href}>
                <Link
                  href={item.href}
                  aria-current={path === item.href || path.startsWith(`${item.href}/`) ? 'page' : undefined}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="principal">{session.principal}</span>
          <span className={`role role-${session.role}`}>{session.role}</span>
          <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
