/** Free loopback ports for servers started by tests. */
import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, from 21000–26999: below the kernel's
 * ephemeral range, where the Temporal dev server picks its own internal ports at random, so a port
 * chosen here cannot be taken by a dev server before the test binds it.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 21000 + Math.floor(Math.random() * 6000);
    if (nearHandedOut(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port in 21000-26999');
}

/** Ports this process handed out: none is bound until its server starts, so a second call could return it again. */
const handedOut = new Set<number>();
/** Some ports are the first of a run (worker metrics take base, base + 1, …), so neighbours stay free too. */
const NEIGHBOURS = 4;

function nearHandedOut(port: number): boolean {
  for (let near = port - NEIGHBOURS; near <= port + NEIGHBOURS; near++) if (handedOut.has(near)) return true;
  return false;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
