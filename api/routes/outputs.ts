/** `GET /v1/outputs/:reference`: the content of a task output kept in the output store instead of history. */
import { Router } from 'express';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { openOutputStore } from '../../config/outputs/open-output-store';
import { OUTPUT_REF_PATTERN, parseOutputRef } from '../../workflows/contracts/output-ref';
import { ApiError } from '../errors';
import { fromObjectStore } from '../object-store-errors';
import type { ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';

/** An output reference in a path, as a task's outputs show it. */
export const OutputRefParamSchema = z
  .string()
  .regex(new RegExp(OUTPUT_REF_PATTERN), 'must be an output reference: capstan-ref:sha256:<64 lowercase hex>:<bytes>');

/** Routes that read the output store (the workers' directory, or their bucket). */
export function outputRoutes(deps: ApiDeps): Router {
  const router = Router();
  const store = openOutputStore({ dir: deps.outputStoreDir, s3: deps.outputS3 });
  router.get('/v1/outputs/:reference', async (req, res) => {
    const reference = parseOr400(OutputRefParamSchema, req.params.reference, 'output reference', 'reference');
    const ref = parseOutputRef(reference)!;
    const stored = await fromObjectStore(store.location, () => store.open(reference));
    if (!stored) throw new ApiError(404, 'output_not_found', `no stored output for reference "${reference}"`);
    // The reference names the size; content of another size was cut short or overwritten, and is not that content.
    if (stored.size !== ref.bytes) {
      stored.body.destroy();
      throw new ApiError(
        500,
        'output_damaged',
        `the stored output of "${reference}" is ${stored.size} bytes, not ${ref.bytes}`,
      );
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(stored.size));
    // Content-addressed: what a reference names never changes.
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    res.setHeader('ETag', `"${ref.sha256}"`);
    if (req.method === 'HEAD') {
      stored.body.destroy();
      res.end();
      return;
    }
    await pipeline(stored.body, res).catch((err: NodeJS.ErrnoException) => {
      // A client that goes away mid-download is not an error of the API.
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    });
  });
  return router;
}
