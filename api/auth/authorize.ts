/** Role checks: the role a request needs against the role its token holds. */
import type { RequestHandler } from 'express';
import { ApiError } from '../errors';
import { principalOf } from './authenticate';
import { requiredRole } from './policy';
import { roleAtLeast, type Role } from '../../db/stores/token-roles';

function check(needed: Role, res: Parameters<RequestHandler>[1]): void {
  const principal = principalOf(res);
  // Only routes behind `authenticate` use these checks; reaching one without a principal is a wiring bug, so refuse.
  if (!principal)
    throw new ApiError(401, 'unauthorized', 'this route needs a token: send Authorization: Bearer <token>');
  if (!roleAtLeast(principal.role, needed)) {
    const message = `this request needs the ${needed} role; token ${principal.tokenId} of "${principal.name}" has the ${principal.role} role`;
    throw new ApiError(403, 'forbidden', message, [
      { field: 'Authorization', message: `role ${principal.role} is below ${needed}` },
    ]);
  }
}

/** Refuses (403) a request whose token's role is below what the policy asks for its method and path. */
export function authorize(): RequestHandler {
  return (req, res, next) => {
    if (principalOf(res)) check(requiredRole(req.method, req.path), res);
    next();
  };
}

/** A route's own statement of the role it needs, on top of the policy: it holds even if the route is mounted elsewhere. */
export function requireRole(needed: Role): RequestHandler {
  return (_req, res, next) => {
    check(needed, res);
    next();
  };
}
