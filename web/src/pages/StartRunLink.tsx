/** The runs page's way to the editor, offered only to roles that may start runs. */
import { canOperate, useSession } from '../http/session';
import { Link } from '../lib/router';

/** "Start a run", for operators and admins. */
export function StartRunLink() {
  const session = useSession();
  if (!canOperate(session.data)) return null;
  return (
    <Link href="/runs/new" className="button-link primary start-run-link">
      Start a run
    </Link>
  );
}
