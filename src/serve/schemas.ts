// JSON schemas of the HTTP API's requests (validated by Fastify's Ajv; also the OpenAPI document).
// The trace is the canonical trace of the JSONL format (design.md, "Input formats"). Every list
// and string is bounded.
import { SAFE_NAME_PATTERN } from './names.js';

export const MAX_NAME_CHARS = 1024;
export const MAX_CALLS_PER_PROCESS = 1_000_000;
export const MAX_PROCESSES = 10_000;

const callSchema = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
    {
      type: 'object',
      required: ['api'],
      properties: {
        api: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
        category: { type: 'string', maxLength: MAX_NAME_CHARS },
        args: { type: 'object', maxProperties: 256 },
        ret: { type: ['string', 'number', 'null'] },
        status: { type: ['boolean', 'null'] },
        ts: { type: 'number' },
        tid: { type: ['string', 'number', 'null'] },
        repeated: { type: 'integer', minimum: 0 },
      },
    },
  ],
} as const;

const callsSchema = { type: 'array', maxItems: MAX_CALLS_PER_PROCESS, items: callSchema } as const;

export const traceSchema = {
  $id: 'trace',
  type: 'object',
  description: 'A canonical trace (the JSONL input format): "calls" (one process) or "processes"',
  required: ['id'],
  anyOf: [{ required: ['calls'] }, { required: ['processes'] }],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: MAX_NAME_CHARS },
    label: { type: 'string', maxLength: MAX_NAME_CHARS },
    time: { type: 'string', maxLength: 64 },
    source: { type: 'string', maxLength: MAX_NAME_CHARS },
    calls: callsSchema,
    processes: {
      type: 'array',
      maxItems: MAX_PROCESSES,
      items: {
        type: 'object',
        required: ['calls'],
        properties: {
          pid: { type: 'integer' },
          ppid: { type: 'integer' },
          name: { type: 'string', maxLength: MAX_NAME_CHARS },
          path: { type: 'string', maxLength: 32768 },
          command_line: { type: 'string', maxLength: 32768 },
          calls: callsSchema,
        },
      },
    },
  },
} as const;

export function tracesBody(maxBatch: number, description: string) {
  return {
    type: 'object',
    required: ['traces'],
    additionalProperties: false,
    properties: {
      traces: { type: 'array', minItems: 1, maxItems: maxBatch, items: { $ref: 'trace#' }, description },
    },
  } as const;
}

export const trainBody = (maxBatch: number) =>
  ({
    type: 'object',
    required: ['traces'],
    additionalProperties: false,
    properties: {
      traces: {
        type: 'array',
        minItems: 1,
        maxItems: maxBatch,
        items: { $ref: 'trace#' },
        description: 'labelled traces (each trace\'s "label", or the request\'s "label")',
      },
      label: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_NAME_CHARS,
        description: 'label of traces without one',
      },
    },
  }) as const;

export const explainBody = {
  type: 'object',
  required: ['trace'],
  additionalProperties: false,
  properties: {
    trace: { $ref: 'trace#' },
    top: { type: 'integer', minimum: 1, maximum: 10_000, default: 20 },
  },
} as const;

export const nameBody = (required: boolean) =>
  ({
    type: 'object',
    required: required ? ['name'] : [],
    additionalProperties: false,
    properties: {
      name: {
        type: 'string',
        pattern: SAFE_NAME_PATTERN,
        description: 'a file name inside the model folder',
      },
    },
  }) as const;

export const errorResponse = {
  type: 'object',
  properties: { error: { type: 'string' } },
} as const;
