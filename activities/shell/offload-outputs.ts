/** Keeps a task's result small: output values too large for Temporal history go to the output store, replaced by references. */
import { formatOutputRef } from '../../workflows/contracts/output-ref';
import { OutputFileError } from './output-file';
import type { OutputStore } from '../../config/outputs/output-store';

/** Most bytes of output names and inline values one result may hold, however many outputs a task writes. */
export const MAX_INLINE_OUTPUTS_BYTES = 256 * 1024;

/**
 * Stores every value over `inlineBytes`, then the largest others until names and inline values
 * total at most 4 × `inlineBytes`; throws an OutputFileError when even that leaves more than
 * MAX_INLINE_OUTPUTS_BYTES (thousands of small outputs, which references would not shrink).
 */
export async function offloadOutputs(
  outputs: Record<string, string>,
  store: OutputStore,
  inlineBytes: number,
): Promise<Record<string, string>> {
  const result = { ...outputs };
  const sizes = new Map(Object.entries(outputs).map(([name, value]) => [name, Buffer.byteLength(value)]));
  let total = 0;
  for (const [name, bytes] of sizes) total += Buffer.byteLength(name) + bytes;
  const offload = async (name: string): Promise<void> => {
    const reference = await store.put(outputs[name]!);
    total -= sizes.get(name)! - reference.length;
    result[name] = reference;
    sizes.delete(name);
  };
  for (const [name, bytes] of [...sizes]) if (bytes > inlineBytes) await offload(name);
  // Largest first, ties by name so the same outputs always give the same result.
  const rest = [...sizes]
    .filter(([, bytes]) => bytes > referenceLength(bytes))
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  for (const [name] of rest) {
    if (total <= 4 * inlineBytes) break;
    await offload(name);
  }
  if (total > MAX_INLINE_OUTPUTS_BYTES) {
    throw new OutputFileError(
      `holds ${Object.keys(outputs).length} outputs whose names and values take ${total} bytes even with the large ones stored by reference, over the ${MAX_INLINE_OUTPUTS_BYTES}-byte limit of a task result; write fewer outputs`,
    );
  }
  return result;
}

/** Length of the reference that would replace a value of `bytes` bytes: storing a shorter value would grow the result. */
function referenceLength(bytes: number): number {
  return formatOutputRef({ sha256: '0'.repeat(64), bytes }).length;
}
