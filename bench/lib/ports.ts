/** Loopback ports from the range this bench is allowed to use. */
import { createServer } from 'node:net';

/** First and last port this bench may bind (other agents on the machine use other ranges). */
export const PORT_RANGE = { first: 27000, last: 27999 } as const;

/** Ports already handed out in this process, so two servers never get the same one. */
const handedOut = new Set<number>();

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first free port at or after `from` inside PORT_RANGE. */
export async function pickPort(from: number): Promise<number> {
  for (let port = Math.max(from, PORT_RANGE.first); port <= PORT_RANGE.last; port++) {
    if (handedOut.has(port)) continue;
    if (await isFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${PORT_RANGE.first}-${PORT_RANGE.last} at or after ${from}`);
}
