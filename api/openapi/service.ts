/** The document's part for the service itself: probes, metrics, this document, and the worker pools. */
import { z } from 'zod';
import { NodeClassSchema } from '../../config/node-classes';
import { errors, jsonResponse, schemaOf, type OpenApiPart } from './shared';
import { WorkerHealthSchema } from './fleet';

/** A node class with the workers polling its task queue now. */
const NodeClassViewSchema = NodeClassSchema.extend({
  taskQueue: z.string(),
  liveWorkers: z.number().int(),
  capacity: z.number().int().describe('Live workers times the concurrency of each.'),
  busySlots: z.number().int().describe('Metered attempts (tasks, pipeline steps) running now on live workers.'),
  freeSlots: z.number().int().describe('Capacity minus busy slots: attempts the live workers would start now.'),
  workers: z
    .array(
      z.object({
        identity: z.string(),
        lastSeenAt: z.string().optional().describe('Last poll Temporal saw; absent for a reported worker not polling.'),
        live: z.boolean().describe('Polled lately and did not report a clean stop.'),
        busySlots: z.number().int(),
        health: WorkerHealthSchema.optional().describe("The worker's latest report; absent if it never reported."),
      }),
    )
    .describe("Temporal's pollers merged by identity with the fleet registry; lost workers stay listed."),
  backlog: z
    .object({
      tasks: z.number().int().describe('Tasks waiting for a worker (approximate).'),
      oldestWaitSeconds: z.number().int().describe('Age of the oldest waiting task.'),
      addRate: z.number().describe('Tasks added per second, lately.'),
      dispatchRate: z.number().describe('Tasks handed to workers per second, lately.'),
    })
    .optional()
    .describe("Temporal's task-queue statistics; absent when the server reports none."),
});

/** Probes, metrics, the OpenAPI document and the node classes. */
export function servicePart(): OpenApiPart {
  return {
    tags: [
      { name: 'Node classes', description: 'Worker pools, each a Temporal task queue, with their live workers.' },
      { name: 'Service', description: 'Probes, Prometheus metrics and this document; no token needed.' },
    ],
    schemas: { NodeClass: schemaOf(NodeClassViewSchema, 'output') },
    requestBodies: {},
    paths: {
      '/v1/node-classes': {
        get: {
          operationId: 'listNodeClasses',
          tags: ['Node classes'],
          summary: 'Worker pools with their live workers',
          responses: {
            200: jsonResponse('The node classes', {
              type: 'object',
              required: ['nodeClasses'],
              properties: {
                nodeClasses: { type: 'array', items: { $ref: '#/components/schemas/NodeClass' } },
              },
            }),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'checkHealth',
          tags: ['Service'],
          summary: 'The process is up',
          responses: {
            200: jsonResponse('Up', { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }),
          },
        },
      },
      '/readyz': {
        get: {
          operationId: 'checkReadiness',
          tags: ['Service'],
          summary: 'Temporal is reachable',
          responses: {
            200: jsonResponse('Ready', {
              type: 'object',
              required: ['status', 'temporal'],
              properties: {
                status: { const: 'ready' },
                temporal: { const: 'reachable' },
              },
            }),
            ...errors({ 503: 'Temporal is not reachable' }),
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'getMetrics',
          tags: ['Service'],
          summary: 'Prometheus metrics',
          responses: {
            200: {
              description: 'The Prometheus text exposition format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          tags: ['Service'],
          summary: 'This document',
          responses: { 200: jsonResponse('The OpenAPI 3.1 document', { type: 'object' }) },
        },
      },
    },
  };
}
