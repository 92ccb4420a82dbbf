/** The DAG shapes the DAG bench runs, built as a user would send them (defaults not applied). */
import type { DagSpecInput } from '../../workflows/contracts/dag-spec';

type TaskInput = DagSpecInput['tasks'][number];

/** A light task: `/bin/sh -c true` on `nodeClass`. */
function light(id: string, nodeClass: string, dependsOn: string[]): TaskInput {
  return dependsOn.length === 0 ? { id, nodeClass, command: 'true' } : { id, nodeClass, command: 'true', dependsOn };
}

/** `length` light tasks, each depending on the one before it. */
export function chainSpec(length: number, nodeClass: string): DagSpecInput {
  const tasks = Array.from({ length }, (_x, i) => light(`c${i}`, nodeClass, i === 0 ? [] : [`c${i - 1}`]));
  return { name: `bench-chain-${length}`, tasks, maxParallel: 1 };
}

/** One root and `width` light tasks that each depend only on it. */
export function fanoutSpec(width: number, nodeClass: string, maxParallel: number): DagSpecInput {
  const tasks = [
    light('root', nodeClass, []),
    ...Array.from({ length: width }, (_x, i) => light(`f${i}`, nodeClass, ['root'])),
  ];
  return { name: `bench-fanout-${width}`, tasks, maxParallel };
}

/**
 * `total` light tasks in layers of `width`; task j of a layer depends on tasks j and j+1 (mod width)
 * of the layer before. Only the last layer may be partial, so every dependency exists.
 */
export function layeredSpec(total: number, width: number, nodeClass: string, maxParallel: number): DagSpecInput {
  const w = Math.min(width, total);
  const id = (layer: number, j: number): string => `l${layer}_${j}`;
  const tasks = Array.from({ length: total }, (_x, i) => {
    const layer = Math.floor(i / w);
    const j = i % w;
    const deps = layer === 0 ? [] : [...new Set([id(layer - 1, j), id(layer - 1, (j + 1) % w)])];
    return light(id(layer, j), nodeClass, deps);
  });
  return { name: `bench-layered-${total}`, tasks, maxParallel };
}
