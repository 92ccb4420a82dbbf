/** Names of audited actions, derived from a request's method and path before any route has run. */

/** An action and the id it acts on, when the path names one. */
export interface AuditAction {
  action: string;
  target?: string;
}

// `:id` is the target; `:verb` names the action, so a new verb on runs (approve, …) is named without an entry here.
const ACTIONS: ReadonlyArray<[method: string, pattern: string, action: string]> = [
  ['POST', '/v1/tasks', 'task.start'],
  ['POST', '/v1/dags', 'dag.start'],
  ['POST', '/v1/tokens', 'token.create'],
  ['DELETE', '/v1/tokens/:id', 'token.revoke'],
  ['POST', '/v1/session', 'session.start'],
  ['DELETE', '/v1/session', 'session.end'],
  ['POST', '/v1/runs/:id/:verb', 'run.:verb'],
];

function segments(path: string): string[] {
  const parts = path.split('/').slice(1);
  // Express routing ignores one trailing slash; so does this.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The action a state-changing request performs (`run.cancel`), or `METHOD /path` for one no rule names. */
export function auditAction(method: string, path: string): AuditAction {
  const actual = segments(path);
  for (const [ruleMethod, pattern, action] of ACTIONS) {
    const expected = segments(pattern);
    if (ruleMethod !== method || expected.length !== actual.length) continue;
    const captured: Record<string, string> = {};
    const matches = expected.every((part, i) => {
      const seg = actual[i]!;
      if (part.startsWith(':')) {
        captured[part] = decoded(seg);
        // A verb is a word; anything else is no action a route could have, so it falls through to `METHOD /path`.
        return part === ':verb' ? /^[a-z][a-z-]{0,31}$/i.test(seg) : seg !== '';
      }
      // Literal segments compare without case, as Express routes do.
      return part === seg.toLowerCase();
    });
    if (!matches) continue;
    const verb = captured[':verb']?.toLowerCase();
    return {
      action: verb === undefined ? action : action.replace(':verb', verb),
      ...(captured[':id'] === undefined ? {} : { target: captured[':id'] }),
    };
  }
  return { action: `${method} ${path}` };
}
