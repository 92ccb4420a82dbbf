/**
 * The resource gate of one worker process: a task attempt holds its CPU and memory from before its
 * command starts until the attempt ends, and waits, first come first served, while what it asks
 * does not fit beside what the running attempts hold.
 */
import type { Resources } from '../../workflows/contracts/resources';
import { formatCpu, formatMemory, resourceAmounts } from '../../workflows/contracts/resources';

/** Millicores and bytes; a dimension the class does not declare is counted as 0 everywhere. */
export interface ResourceRequest {
  cpuMillis: number;
  memoryBytes: number;
}

/** Gives back what an acquire took; calling it twice gives back once. */
export type ResourceRelease = () => void;

interface Waiter {
  request: ResourceRequest;
  grant: () => void;
}

/** What one worker gives, shared among its running attempts, and its slots: never more attempts at once than those. */
export class ResourceGate {
  private readonly used: ResourceRequest = { cpuMillis: 0, memoryBytes: 0 };
  /** Attempts holding a slot now; the class worker and the host-queue worker of a process share the count. */
  private running = 0;
  private readonly queue: Waiter[] = [];
  /** What a task that declares no amount of a resource is counted as: an equal share of the worker. */
  private readonly defaults: ResourceRequest;

  /** A gate over `capacity` (absent dimensions are not accounted), for a worker running up to `concurrency` attempts. */
  constructor(
    private readonly capacity: { cpuMillis?: number; memoryBytes?: number },
    private readonly concurrency: number,
  ) {
    this.defaults = {
      cpuMillis: Math.floor((capacity.cpuMillis ?? 0) / concurrency),
      memoryBytes: Math.floor((capacity.memoryBytes ?? 0) / concurrency),
    };
  }

  /** What `resources` (a task's, possibly absent) counts as on this worker. */
  requestOf(resources: Resources | undefined): ResourceRequest {
    const asked = resourceAmounts(resources);
    return {
      cpuMillis: this.capacity.cpuMillis === undefined ? 0 : (asked.cpuMillis ?? this.defaults.cpuMillis),
      memoryBytes: this.capacity.memoryBytes === undefined ? 0 : (asked.memoryBytes ?? this.defaults.memoryBytes),
    };
  }

  /** Why `request` can never run here (more than the whole worker), or undefined when it can. */
  neverFits(request: ResourceRequest): string | undefined {
    const { cpuMillis = 0, memoryBytes = 0 } = this.capacity;
    if (this.capacity.cpuMillis !== undefined && request.cpuMillis > cpuMillis)
      return `the task asks for ${formatCpu(request.cpuMillis)} CPU and this worker gives ${formatCpu(cpuMillis)}`;
    if (this.capacity.memoryBytes !== undefined && request.memoryBytes > memoryBytes)
      return `the task asks for ${formatMemory(request.memoryBytes)} of memory and this worker gives ${formatMemory(memoryBytes)}`;
    return undefined;
  }

  /** Whether `request` would wait if it asked now: someone waits already, or it does not fit beside what is held. */
  wouldWait(request: ResourceRequest): boolean {
    return this.queue.length > 0 || !this.fits(request);
  }

  /** Attempts waiting for room now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** What running attempts hold now. */
  get held(): ResourceRequest {
    return { ...this.used };
  }

  /**
   * Resolves once `request` fits, holding it until the release is called; rejects with the signal's
   * reason if `signal` aborts first. Later arrivals never overtake a waiter, so a large task is not
   * starved by a stream of small ones.
   */
  acquire(request: ResourceRequest, signal?: AbortSignal): Promise<ResourceRelease> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index < 0) return;
        this.queue.splice(index, 1);
        reject(signal!.reason);
        // The head leaving may let the ones behind it in.
        this.pump();
      };
      const waiter: Waiter = {
        request,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.hold(request));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  private fits(request: ResourceRequest): boolean {
    const { cpuMillis = 0, memoryBytes = 0 } = this.capacity;
    return (
      this.running < this.concurrency &&
      this.used.cpuMillis + request.cpuMillis <= cpuMillis &&
      this.used.memoryBytes + request.memoryBytes <= memoryBytes
    );
  }

  private hold(request: ResourceRequest): ResourceRelease {
    this.used.cpuMillis += request.cpuMillis;
    this.used.memoryBytes += request.memoryBytes;
    this.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used.cpuMillis -= request.cpuMillis;
      this.used.memoryBytes -= request.memoryBytes;
      this.running -= 1;
      this.pump();
    };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.request)) this.queue.shift()!.grant();
  }
}

/**
 * The gate of a worker running up to `concurrency` attempts, over what its class gives (`resources`; none: only the
 * slots are counted, so a class queue's worker and its host queue's worker together never exceed the class's
 * concurrency).
 */
export function resourceGateFor(resources: Resources | undefined, concurrency: number): ResourceGate {
  return new ResourceGate(resourceAmounts(resources), concurrency);
}
