/** The API's one error shape, `{ error: { code, message, details } }`, and the mapping of every failure to it. */
import {
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { ErrorRequestHandler } from 'express';
import { describeIssues, type FieldIssue } from '../config/zod-issues';
import type { Logger } from '../config/logger';
import { isConnectionError } from '../db/pool';

/** An error the API answers with a given status and code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** 400 for an input that failed validation; every bad field is named in `details`. */
export function validationError(issues: FieldIssue[], what = 'request body'): ApiError {
  return new ApiError(400, 'invalid_request', `invalid ${what}: ${describeIssues(issues)}`, issues);
}

/** 404 for a run id that Temporal does not know. */
export function runNotFound(runId: string): ApiError {
  return new ApiError(404, 'run_not_found', `no run with id "${runId}"`);
}

/** Express error middleware: maps body-parser, Temporal and unknown errors to the API error shape. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const apiError = toApiError(err);
    if (res.headersSent) {
      // A stream (server-sent events) already began: the status line is gone, so end it and log.
      logger.warn({ err, requestId: res.locals.requestId, path: req.path }, 'request failed after the response began');
      res.end();
      return;
    }
    if (apiError.status >= 500)
      logger.error({ err, requestId: res.locals.requestId, path: req.path }, 'request failed');
    res.status(apiError.status).json({
      error: {
        code: apiError.code,
        message: apiError.message,
        ...(apiError.details === undefined ? {} : { details: apiError.details }),
      },
    });
  };
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const bodyError = err as { type?: string; status?: number; limit?: number };
  if (bodyError.type === 'entity.parse.failed') {
    return new ApiError(400, 'malformed_json', 'request body is not valid JSON', [
      { field: '(body)', message: (err as Error).message },
    ]);
  }
  if (bodyError.type === 'entity.too.large') {
    return new ApiError(413, 'payload_too_large', `request body is larger than the ${bodyError.limit}-byte limit`, [
      { field: '(body)', message: 'too large' },
    ]);
  }
  if (bodyError.type === 'encoding.unsupported' || bodyError.type === 'charset.unsupported') {
    return new ApiError(415, 'unsupported_media_type', (err as Error).message);
  }
  if (err instanceof WorkflowNotFoundError) return new ApiError(404, 'run_not_found', err.message);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new ApiError(409, 'run_already_exists', err.message);
  if (isTemporalUnreachable(err)) {
    return new ApiError(503, 'temporal_unavailable', `Temporal is not reachable: ${(err as Error).message}`);
  }
  if (isConnectionError(err)) {
    return new ApiError(
      503,
      'database_unavailable',
      `Capstan's database is not reachable: ${(err as Error).message}; retry later`,
    );
  }
  return new ApiError(500, 'internal', 'internal error; see the API log for the request id');
}

/** gRPC codes UNAVAILABLE (14) and DEADLINE_EXCEEDED (4), raw or wrapped in the client's ServiceError. */
function isTemporalUnreachable(err: unknown): boolean {
  const grpc = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4);
}
