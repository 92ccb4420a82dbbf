/** The document's part for the fleet registry: known workers with their health, and each worker's short history. */
import { z } from 'zod';
import { WorkerIdentitySchema, WorkerReportsQuerySchema, WorkersQuerySchema } from '../routes/fleet';
import { errors, jsonResponse, pathParameter, queryParameters, ref, schemaOf, type OpenApiPart } from './shared';

/** A worker's latest health report, as each node class's workers and `GET /v1/workers` show it. */
export const WorkerHealthSchema = z.object({
  host: z.string().describe('The host the worker answers to (CAPSTAN_WORKER_HOST, else its machine name).'),
  version: z.string().describe('Capstan version the worker runs: package version, +commit when known.'),
  state: z
    .enum(['live', 'lost', 'stopped'])
    .describe('live: reports on time; lost: reports stopped without a word; stopped: shut down cleanly.'),
  reportedAt: z.string().describe('When the latest report arrived (the database clock).'),
  reportIntervalSeconds: z.number(),
  cpus: z.number().int().describe('CPUs the worker process may use.'),
  load1: z.number(),
  load5: z.number(),
  load15: z.number(),
  memoryTotalBytes: z.number().int(),
  memoryAvailableBytes: z.number().int().describe("What new processes could get (Linux's MemAvailable)."),
  diskPath: z.string().describe('The workspace directory tasks run in; disk figures are of its volume.'),
  diskTotalBytes: z.number().int(),
  diskFreeBytes: z.number().int().describe('Free to unprivileged users, as df shows Avail.'),
  runningAttempts: z.number().int().describe('Attempts (tasks, pipeline steps) the worker process ran at the report.'),
  slots: z.number().int().describe("The class's concurrency: attempts one worker runs at once."),
});

const WorkerViewSchema = WorkerHealthSchema.extend({
  identity: z.string().describe("The worker's Temporal identity, also `worker` of its attempts."),
  nodeClass: z.string(),
  firstSeenAt: z.string(),
  stoppedAt: z.string().optional(),
});

const WorkerReportSchema = z.object({
  reportedAt: z.string(),
  load1: z.number(),
  memoryAvailableBytes: z.number().int(),
  diskFreeBytes: z.number().int(),
  runningAttempts: z.number().int(),
});

/** `GET /v1/workers` and `GET /v1/workers/{identity}/reports`. */
export function workerPart(): OpenApiPart {
  return {
    tags: [
      {
        name: 'Workers',
        description: 'The fleet registry: each node-class worker reports its machine and load at a steady interval.',
      },
    ],
    schemas: { Worker: schemaOf(WorkerViewSchema, 'output'), WorkerReport: schemaOf(WorkerReportSchema, 'output') },
    requestBodies: {},
    paths: {
      '/v1/workers': {
        get: {
          operationId: 'listWorkers',
          tags: ['Workers'],
          summary: 'Every known worker with its latest health report, newest report first',
          description:
            'Workers are kept for CAPSTAN_WORKER_REPORT_RETENTION_HOURS after their last report; one is lost after CAPSTAN_WORKER_LOST_AFTER_SECONDS without one. An unknown nodeClass is a 400 naming query.nodeClass.',
          parameters: queryParameters(WorkersQuerySchema),
          responses: {
            200: jsonResponse('The workers', {
              type: 'object',
              required: ['workers'],
              properties: { workers: { type: 'array', items: ref('Worker') } },
            }),
          },
        },
      },
      '/v1/workers/{identity}/reports': {
        get: {
          operationId: 'listWorkerReports',
          tags: ['Workers'],
          summary: "A worker's short report history, newest first",
          parameters: [
            pathParameter('identity', WorkerIdentitySchema, 'The worker identity, percent-encoded (it holds "/").'),
            ...queryParameters(WorkerReportsQuerySchema),
          ],
          responses: {
            200: jsonResponse('The reports', {
              type: 'object',
              required: ['identity', 'reports'],
              properties: {
                identity: { type: 'string' },
                reports: { type: 'array', items: ref('WorkerReport') },
              },
            }),
            ...errors({ 404: 'No worker with this identity in the registry' }),
          },
        },
      },
    },
  };
}
