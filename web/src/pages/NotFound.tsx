/** The page for a path the console has no page for. */
import { Link } from '../lib/router';

/** Says there is no such page and links to the runs. */
export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        The console has no page here. <Link href="/runs">See the runs</Link>.
      </p>
    </section>
  );
}
