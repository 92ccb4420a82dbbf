/** The signed-in session: who, with which role, and the CSRF token its state changes carry. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiFailure, api, must, setCsrfToken } from './client';
import type { paths } from './schema.gen';

/** What `GET /v1/session` answers. */
export type Session = paths['/v1/session']['get']['responses'][200]['content']['application/json'];

/** The query key of the session; null in it means "not signed in". */
export const SESSION_KEY = ['session'] as const;

/** The session, or null when the cookie is missing or its session is over (401). */
export function useSession() {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<Session | null> => {
      try {
        const session = must(await api.GET('/v1/session'));
        setCsrfToken(session.csrfToken);
        return session;
      } catch (err) {
        if (err instanceof ApiFailure && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

/** Exchanges a token for a session cookie; the token goes in a POST body and is kept nowhere. */
export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (token: string) => must(await api.POST('/v1/session', { body: { token } })),
    onSuccess: (session) => {
      setCsrfToken(session.csrfToken);
      client.setQueryData(SESSION_KEY, session);
    },
  });
}

/** Ends the session on the server and forgets everything the console had loaded. */
export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      must(await api.DELETE('/v1/session'));
    },
    onSettled: () => {
      setCsrfToken(undefined);
      // The session query is set, not removed: the app's observer of it must see the change to show sign-in.
      client.setQueryData(SESSION_KEY, null);
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
    },
  });
}

/** Whether the session's role may change things (start, cancel, retry): operators and admins. */
export function canOperate(session: Session | null | undefined): boolean {
  return session?.role === 'operator' || session?.role === 'admin';
}
