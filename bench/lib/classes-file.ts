/** The node classes a bench runs, written as a file a worker or API process reads (CAPSTAN_NODE_CLASSES_FILE). */
import { writeFileSync } from 'node:fs';
import type { NodeClass } from '../../config/node-classes';

/** Writes `nodeClasses` to `file` (JSON, which the YAML loader reads) and returns the file's path. */
export function writeClassesFile(file: string, nodeClasses: NodeClass[]): string {
  const nodeClassesJson = nodeClasses.map(({ name, description, concurrency, pricePerHour, labels }) => ({
    name,
    ...(description === undefined ? {} : { description }),
    concurrency,
    pricePerHour,
    labels,
  }));
  writeFileSync(file, JSON.stringify({ nodeClasses: nodeClassesJson }));
  return file;
}
