/**
 * Worker "hosts" in network namespaces of their own: each namespace has one interface with its own
 * address on a bridge, and reaches the shared services only at the bridge's address, never through
 * loopback (a namespace's 127.0.0.1 is its own). Needs root and iproute2, as a container runtime does.
 */
import { execFileSync } from 'node:child_process';

/** One namespace with its address on the bridge. */
export interface NetworkHost {
  name: string;
  /** The `ip netns` name; run a process in it with `ip netns exec <netns> ...`. */
  netns: string;
  address: string;
}

/** A bridge with an address of its own (where services listen) and one namespace per host attached to it. */
export interface NetworkFabric {
  /** The bridge's address in the root namespace: services bind it, hosts connect to it. */
  serviceAddress: string;
  hosts: Record<string, NetworkHost>;
  /** The argv prefix that runs a command inside a host's namespace. */
  execPrefix(host: string): string[];
  /** Deletes the namespaces and the bridge (their veth pairs go with them). */
  remove(): void;
}

/** Why namespaces cannot be made here, or undefined when they can (root with `ip`). */
export function networkHostsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (`ip`) is not installed';
  }
  return undefined;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Creates a bridge and one namespace per name. The subnet and names derive from this process's id,
 * so two test processes on one machine do not collide; interface names stay within Linux's 15 characters.
 */
export function createNetworkFabric(hostNames: string[]): NetworkFabric {
  const id = process.pid % 100_000;
  const subnet = `10.${200 + (Math.floor(id / 250) % 50)}.${id % 250}`;
  const bridge = `cbr${id}`;
  const hosts: Record<string, NetworkHost> = {};
  const namespaces: string[] = [];
  const remove = (): void => {
    for (const netns of namespaces) {
      try {
        ip('netns', 'del', netns);
      } catch {
        // Already gone: removal is best effort so a failed setup still cleans what it made.
      }
    }
    try {
      ip('link', 'del', bridge);
    } catch {
      // Never created, or already removed.
    }
  };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    hostNames.forEach((name, index) => {
      const netns = `capstan-${id}-${index}`;
      const outside = `cv${id}h${index}`;
      const inside = `cv${id}i${index}`;
      const address = `${subnet}.${index + 2}`;
      ip('netns', 'add', netns);
      namespaces.push(netns);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      ip('link', 'set', inside, 'netns', netns);
      ip('link', 'set', outside, 'master', bridge);
      ip('link', 'set', outside, 'up');
      ip('netns', 'exec', netns, 'ip', 'link', 'set', inside, 'name', 'eth0');
      ip('netns', 'exec', netns, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('netns', 'exec', netns, 'ip', 'link', 'set', 'eth0', 'up');
      ip('netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up');
      hosts[name] = { name, netns, address };
    });
  } catch (err) {
    remove();
    throw err;
  }
  return {
    serviceAddress: `${subnet}.1`,
    hosts,
    execPrefix: (host) => {
      const found = hosts[host];
      if (!found) throw new Error(`no network host "${host}"`);
      return ['ip', 'netns', 'exec', found.netns];
    },
    remove,
  };
}
