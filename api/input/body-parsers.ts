/**
 * The API's body parsers: JSON (and, where a route takes it, YAML) read with the JSON scanner or
 * the YAML parser and held to the text rule, small bodies on the main thread and large ones on a
 * worker thread. They replace express.json, which keeps the last of two equal keys and blocks the
 * event loop while it parses.
 */
import express, { type Request, type Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, validationError } from '../errors';
import { parseBody, type BodyFormat, type ParseOutcome } from './parse-body';
import { ParsePool } from './parse-pool';

/** Media types read as YAML where a route accepts YAML. */
export const YAML_TYPES: readonly string[] = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** Bodies up to this size are parsed on the main thread: a millisecond or two of work at most. */
export const INLINE_PARSE_MAX_BYTES = 64 * 1024;

/** Options of a body parser. */
export interface BodyOptions {
  /** Most bytes of the body as received (after decompression); more is a 413. */
  limit: number;
  /** Also accept the YAML media types. */
  yaml?: boolean;
  /**
   * Most bytes of a YAML body. YAML costs tens of times what JSON does to parse, so a body that
   * cannot hold an acceptable value is refused unread rather than occupying a parser thread.
   */
  maxYamlBytes?: number;
  /** Most bytes of the parsed value as JSON, checked where it was parsed; more calls `tooLarge`. */
  maxValueBytes?: number;
  /** The error for a value over `maxValueBytes`; a generic 413 when absent. */
  tooLarge?: (bytes: number) => ApiError;
  /** Keep the text of a body parsed on the main thread, for `bodySourceOf` (to name lines in answers). */
  keepSource?: boolean;
}

const sources = new WeakMap<Request, string>();

/**
 * The text of the request's body, when its parser kept it (`keepSource`): only bodies of at most
 * INLINE_PARSE_MAX_BYTES, so finding positions in it costs the event loop no more than parsing did.
 */
export function bodySourceOf(req: Request): string | undefined {
  return sources.get(req);
}

/** A middleware over Node's request types, as express.json is, so routes keep the parameter types of their path. */
export type BodyMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const pool = new ParsePool();

/**
 * Middleware that sets `req.body` from a JSON (or YAML) body, or answers 400 naming the field that
 * is a duplicate key, too deep, or text no database or process can hold. A request of another
 * media type, or without a body, passes with `req.body` undefined, as with express.json.
 */
export function jsonBody(options: BodyOptions): BodyMiddleware {
  const readJson = express.raw({ type: 'application/json', limit: options.limit });
  // The YAML bound is the reader's limit, so a larger body is refused by its Content-Length, unread.
  const yamlLimit = Math.min(options.limit, options.maxYamlBytes ?? options.limit);
  const readYaml = express.raw({ type: [...YAML_TYPES], limit: yamlLimit });
  const parse = async (req: Request, format: BodyFormat): Promise<void> => {
    const bytes: unknown = req.body;
    if (!Buffer.isBuffer(bytes)) {
      req.body = undefined;
      return;
    }
    checkCharset(req);
    // An empty JSON body reads as {}, as express.json has it: clients often send one with a POST that needs none.
    if (bytes.length === 0 && format === 'json') {
      req.body = {};
      return;
    }
    const job = { format, maxValueBytes: options.maxValueBytes };
    let outcome: ParseOutcome;
    if (bytes.length <= INLINE_PARSE_MAX_BYTES) {
      const text = bytes.toString('utf8');
      if (options.keepSource) sources.set(req, text);
      outcome = parseBody({ ...job, text });
    } else outcome = await pool.parse(bytes, job);
    req.body = valueOf(outcome, options);
  };
  // One handler rather than two, so routes keep their typed (req, res) after it.
  return (incoming, res, next) => {
    const req = incoming as Request;
    const format: BodyFormat = options.yaml && req.is([...YAML_TYPES]) ? 'yaml' : 'json';
    (format === 'yaml' ? readYaml : readJson)(req, res as Response, (err?: unknown) => {
      if (
        (err as { type?: string } | undefined)?.type === 'entity.too.large' &&
        format === 'yaml' &&
        yamlLimit < options.limit
      ) {
        return next(
          new ApiError(413, 'payload_too_large', `a YAML body may be at most ${yamlLimit} bytes`, [
            { field: '(body)', message: `more than ${yamlLimit} bytes of YAML; send JSON, or a smaller spec` },
          ]),
        );
      }
      if (err) return next(err);
      parse(req, format).then(() => next(), next);
    });
  };
}

function checkCharset(req: Request): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.get('content-type') ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new ApiError(415, 'unsupported_media_type', `unsupported charset "${charset}": send the body as UTF-8`, [
      { field: 'Content-Type', message: 'charset must be utf-8' },
    ]);
  }
}

function valueOf(outcome: ParseOutcome, options: BodyOptions): unknown {
  switch (outcome.kind) {
    case 'value':
      return outcome.value;
    case 'malformed':
      throw new ApiError(400, outcome.code, outcome.message, outcome.details);
    case 'invalid':
      throw validationError(outcome.issues);
    case 'too-large':
      throw (
        options.tooLarge?.(outcome.bytes) ??
        new ApiError(
          413,
          'payload_too_large',
          `request body is ${outcome.bytes} bytes as JSON; at most ${options.maxValueBytes} are kept`,
        )
      );
  }
}
