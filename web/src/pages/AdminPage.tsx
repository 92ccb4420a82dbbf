/** The admin page (`/admin`): API tokens (create, shown once; revoke) and the audit log. Admins only; the API refuses others anyway. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { api, must } from '../http/client';
import { useSession, type Session } from '../http/session';
import { showTime } from '../lib/time';
import { AuditLog } from './AuditLog';
import './admin.css';

const ROLES = ['viewer', 'operator', 'admin'] as const;
/** Lifetimes offered for a new token, in seconds (null: no expiry). */
const LIFETIMES = [
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: '90 days', seconds: 90 * 86_400 },
  { label: '1 year', seconds: 365 * 86_400 },
  { label: 'Never', seconds: null },
] as const;

/** Tokens and the audit log, or a "needs admin" message for other roles. */
export function AdminPage() {
  const session = useSession();
  if (session.data?.role !== 'admin')
    return (
      <section aria-labelledby="admin-title">
        <h1 id="admin-title">Admin</h1>
        <p className="error" data-testid="needs-admin">
          This page needs the admin role: you are signed in as {session.data?.principal ?? 'someone'} with the role{' '}
          {session.data?.role ?? 'unknown'}. Ask an admin for tokens and the audit log.
        </p>
      </section>
    );
  return (
    <section aria-labelledby="admin-title" className="admin-page">
      <h1 id="admin-title">Admin</h1>
      <Tokens session={session.data} />
      <AuditLog />
    </section>
  );
}

function Tokens({ session }: { session: Session }) {
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: async () => must(await api.GET('/v1/tokens')),
  });
  return (
    <section aria-labelledby="tokens-title" className="card">
      <h2 id="tokens-title">Tokens</h2>
      <CreateToken />
      {tokens.isError && (
        <p role="alert" className="error">
          {tokens.error.message}
        </p>
      )}
      {tokens.isPending ? (
        <p className="loading">Loading tokens…</p>
      ) : tokens.data ? (
        <div className="table-wrap">
          <table className="data tokens" data-testid="tokens">
            <thead>
              <tr>
                <th scope="col">Principal</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.tokens.map((t) => (
                <tr key={t.id} data-token-id={t.id}>
                  <th scope="row">
                    <span className="principal-name">{t.principal}</span>
                    <div className="hint mono">{t.id}</div>
                  </th>
                  <td>{t.role}</td>
                  <td>
                    <span className={`token-status token-${t.status}`}>{t.status}</span>
                    {t.revokedAt && <div className="hint">{showTime(t.revokedAt)}</div>}
                  </td>
                  <td className="nowrap">
                    {showTime(t.createdAt)}
                    <div className="hint">by {t.createdBy}</div>
                  </td>
                  <td className="nowrap">{t.expiresAt ? showTime(t.expiresAt) : 'never'}</td>
                  <td className="nowrap">{t.lastUsedAt ? showTime(t.lastUsedAt) : 'never'}</td>
                  <td>
                    {t.status === 'active' && (
                      <Revoke id={t.id} principal={t.principal} own={t.id === session.tokenId} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function CreateToken() {
  const client = useQueryClient();
  const [principal, setPrincipal] = useState('');
  const [role, setRole] = useState<(typeof ROLES)[number]>('viewer');
  const [lifetime, setLifetime] = useState<string>(String(30 * 86_400));
  const secretField = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  // The secret lives only in this mutation's result, in memory, until "Done" resets it.
  const create = useMutation({
    mutationFn: async () => {
      const seconds = lifetime === 'never' ? undefined : Number(lifetime);
      return must(
        await api.POST('/v1/tokens', {
          body: { principal: principal.trim(), role, ...(seconds ? { expiresInSeconds: seconds } : {}) },
        }),
      );
    },
    onSuccess: () => {
      setPrincipal('');
      setCopied(false);
      void client.invalidateQueries({ queryKey: ['tokens'] });
      void client.invalidateQueries({ queryKey: ['audit'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const copy = async () => {
    secretField.current?.select();
    try {
      await navigator.clipboard.writeText(create.data!.token);
      setCopied(true);
    } catch {
      // Without clipboard permission the field stays selected for Ctrl+C.
      setCopied(false);
    }
  };

  if (create.data)
    return (
      <div className="new-secret" role="region" aria-labelledby="secret-title">
        <h3 id="secret-title">
          Token for {create.data.principal} ({create.data.role}) created
        </h3>
        <p className="warning">
          Copy the secret now: it is shown this once and cannot be shown again. Anyone holding it acts as{' '}
          {create.data.principal}.
        </p>
        <div className="secret-row">
          <label htmlFor="new-secret">Secret</label>
          <input
            id="new-secret"
            ref={secretField}
            readOnly
            value={create.data.token}
            spellCheck={false}
            autoComplete="off"
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" onClick={() => void copy()}>
            Copy
          </button>
          <button type="button" className="primary" onClick={() => create.reset()}>
            Done
          </button>
        </div>
        {copied && (
          <p className="hint" role="status">
            Copied.
          </p>
        )}
      </div>
    );
  return (
    <form className="filters create-token" aria-label="Create a token" onSubmit={submit}>
      <div className="field">
        <label htmlFor="t-principal">Principal</label>
        <input
          id="t-principal"
          required
          value={principal}
          placeholder="alice, ci:deploy…"
          onChange={(e) => setPrincipal(e.target.value)}
          spellCheck={false}
        />
      </div>
      <div className="field">
        <label htmlFor="t-role">Role</label>
        <select id="t-role" value={role} onChange={(e) => setRole(ROLES.find((r) => r === e.target.value) ?? 'viewer')}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="t-expiry">Expires after</label>
        <select id="t-expiry" value={lifetime} onChange={(e) => setLifetime(e.target.value)}>
          {LIFETIMES.map((l) => (
            <option key={l.label} value={l.seconds === null ? 'never' : String(l.seconds)}>
              {l.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field filter-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </div>
      {create.isError && (
        <p role="alert" className="error full">
          {create.error.message}
        </p>
      )}
    </form>
  );
}

function Revoke({ id, principal, own }: { id: string; principal: string; own: boolean }) {
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const revoke = useMutation({
    mutationFn: async () => must(await api.DELETE('/v1/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      setAsking(false);
      void client.invalidateQueries({ queryKey: ['tokens'] });
      void client.invalidateQueries({ queryKey: ['audit'] });
    },
  });
  if (!asking)
    return (
      <button
        type="button"
        className="danger-outline"
        onClick={() => setAsking(true)}
        aria-label={`Revoke ${principal}`}
      >
        Revoke
      </button>
    );
  return (
    <div className="confirm" role="group" aria-label={`Confirm revoking ${principal}`}>
      <span>
        Revoke {principal}? Its sessions end at once{own ? ', including yours' : ''}.
      </span>
      <button type="button" className="danger" onClick={() => revoke.mutate()} disabled={revoke.isPending} autoFocus>
        Yes, revoke
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
      {revoke.isError && (
        <span role="alert" className="error">
          {revoke.error.message}
        </span>
      )}
    </div>
  );
}
