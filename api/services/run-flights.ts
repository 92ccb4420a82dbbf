/**
 * Reads of the same run at the same moment share one trip to Temporal: a dashboard or several
 * clients polling one run cost one describe (and one query or result), not one each.
 */
import type { RunDetail } from './get-run';

/** What `read` answers, and whether it came from another request's trip. */
export interface FlightRead {
  detail: RunDetail;
  joined: boolean;
}

/**
 * In-flight reads per key. Staleness: a request that joins a trip gets the answer Temporal gave to a
 * request sent at most one trip earlier than its own; nothing is kept once the trip ends. So a poller
 * never sees a run go backwards (a key has one trip in flight at a time, each later than the last),
 * and never reads 'completed' before Temporal says so (every answer is Temporal's own).
 */
export class RunFlights {
  private readonly inFlight = new Map<string, Promise<RunDetail>>();

  /** The detail under `key`: the one in flight, or a new trip made with `fetch`. */
  async read(key: string, fetch: () => Promise<RunDetail>): Promise<FlightRead> {
    const flying = this.inFlight.get(key);
    if (flying) return { detail: await flying, joined: true };
    const trip = fetch();
    this.inFlight.set(key, trip);
    try {
      return { detail: await trip, joined: false };
    } finally {
      this.inFlight.delete(key);
    }
  }
}
