/** `GET /v1/outputs/:reference`: the content of a task output kept in the output store instead of history. */
import { Router } from 'express';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { OUTPUT_REF_PATTERN, outputRefPath, parseOutputRef } from '../../workflows/contracts/output-ref';
import { ApiError } from '../errors';
import type { ApiDeps } from '../services/deps';
import { parseOr400 } from '../validate';

/** An output reference in a path, as a task's outputs show it. */
export const OutputRefParamSchema = z
  .string()
  .regex(new RegExp(OUTPUT_REF_PATTERN), 'must be an output reference: capstan-ref:sha256:<64 lowercase hex>:<bytes>');

/** Routes that read the output store. */
export function outputRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/outputs/:reference', async (req, res) => {
    const reference = parseOr400(OutputRefParamSchema, req.params.reference, 'output reference', 'reference');
    const ref = parseOutputRef(reference)!;
    let handle: FileHandle;
    try {
      handle = await open(join(deps.outputStoreDir, outputRefPath(ref)), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new ApiError(404, 'output_not_found', `no stored output for reference "${reference}"`);
      throw err;
    }
    try {
      const { size } = await handle.stat();
      // The reference names the size; a file of another size was cut short or overwritten, and is not that content.
      if (size !== ref.bytes)
        throw new ApiError(
          500,
          'output_damaged',
          `the stored output of "${reference}" is ${size} bytes, not ${ref.bytes}`,
        );
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(size));
      // Content-addressed: what a reference names never changes.
      res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
      res.setHeader('ETag', `"${ref.sha256}"`);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      await pipeline(handle.createReadStream({ autoClose: false }), res).catch((err: NodeJS.ErrnoException) => {
        // A client that goes away mid-download is not an error of the API.
        if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
      });
    } finally {
      await handle.close();
    }
  });
  return router;
}
