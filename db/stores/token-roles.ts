/** The three roles of API tokens and their order: viewer < operator < admin. */

/** Roles in increasing order of what they may do. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;

/** A token's role. */
export type Role = (typeof ROLES)[number];

/** True when `held` is `needed` or a role above it. */
export function roleAtLeast(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}
