/** Who is making the current request, available to the services it calls without threading it through each one. */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Role } from '../../db/stores/token-roles';

/** The caller of a request, as its token identifies it. */
export interface Principal {
  name: string;
  tokenId: string;
  role: Role;
}

// Request-scoped, so a service that starts a run (the ones that exist and any added later) records
// its starter without every route having to pass it along; body parsers keep the context (raw-body binds it).
const current = new AsyncLocalStorage<Principal>();

/** Runs `work` (and everything it awaits) as `principal`. */
export function actAs<T>(principal: Principal, work: () => T): T {
  return current.run(principal, work);
}

/** The principal of the request being served; undefined outside one. */
export function actingPrincipal(): Principal | undefined {
  return current.getStore();
}
