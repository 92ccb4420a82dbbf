/** The node classes of a chaos stack: two, so DAGs and pipelines cross from one to the other. */
import type { NodeClass } from '../config/node-classes';

/** Classes `a` and `b`, two slots each. */
export const CHAOS_NODE_CLASSES: NodeClass[] = [
  { name: 'a', concurrency: 3, pricePerHour: 0.1, labels: {} },
  { name: 'b', concurrency: 3, pricePerHour: 0.5, labels: {} },
];
