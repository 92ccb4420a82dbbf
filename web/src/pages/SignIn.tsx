/** Sign-in: a Capstan token exchanged for a session cookie; the token is sent once, in a POST body, and dropped. */
import { useState, type FormEvent } from 'react';
import { useSignIn } from '../http/session';

/** The sign-in form, shown for any URL while there is no session. */
export function SignIn() {
  const signIn = useSignIn();
  const [token, setToken] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate(token.trim(), { onSuccess: () => setToken('') });
  };
  return (
    <main className="signin">
      {/* method=post: were the script ever not to run, the browser would still not put the token in a URL. */}
      <form method="post" onSubmit={submit} className="card signin-card" aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Capstan</h1>
        <label htmlFor="token">Capstan token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={signIn.isError}
          aria-describedby={signIn.isError ? 'signin-error' : 'signin-help'}
        />
        <p id="signin-help" className="hint">
          An operator, viewer or admin token, as <code>capstan token create</code> printed it.
        </p>
        {signIn.isError && (
          <p id="signin-error" role="alert" className="error">
            {signIn.error.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={signIn.isPending || token.trim() === ''}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
