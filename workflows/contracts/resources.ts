/**
 * CPU and memory quantities written as Kubernetes users write them (cpu `0.5`, `"500m"`, `2`; memory
 * `"512Mi"`, `"2Gi"`, `"1G"`, bytes as a number), parsed to whole millicores and bytes. Pure, so the
 * API, the workers and the workflow bundle share it.
 */
import { z } from 'zod';

/** A quantity as written: a number, or a string with an optional unit suffix. */
type Quantity = number | string;

/** Binary and decimal memory suffixes, as Kubernetes reads them. */
const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

const NUMBER = /^(\d+(?:\.\d+)?|\.\d+)/;

/** Millicores of a CPU quantity (`0.5`, `"500m"`, `"2"`), or undefined when it is not one. */
export function parseCpu(quantity: Quantity): number | undefined {
  const text = String(quantity).trim();
  const m = /^(\d+(?:\.\d+)?|\.\d+)(m?)$/.exec(text);
  if (!m) return undefined;
  const millis = m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
  // Kubernetes' smallest CPU unit is one millicore; anything finer cannot be scheduled apart.
  return Number.isFinite(millis) && millis >= 1 ? Math.round(millis) : undefined;
}

/** Bytes of a memory quantity (`"512Mi"`, `"2Gi"`, `"1G"`, `1048576`), or undefined when it is not one. */
export function parseMemory(quantity: Quantity): number | undefined {
  const text = String(quantity).trim();
  const number = NUMBER.exec(text);
  if (!number) return undefined;
  const unit = MEMORY_UNITS[text.slice(number[1]!.length)];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(number[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}

/** A CPU quantity as written, e.g. `"1.5"` for 1500 millicores. */
export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** A byte count in the largest binary unit that divides it, e.g. `"1Gi"`, `"768Mi"`. */
export function formatMemory(bytes: number): string {
  for (const unit of ['Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    if (bytes % MEMORY_UNITS[unit]! === 0) return `${bytes / MEMORY_UNITS[unit]!}${unit}`;
  }
  return `${bytes} bytes`;
}

const cpuQuantity = z
  .union([z.number().positive(), z.string().max(32)])
  .refine((q) => parseCpu(q) !== undefined, 'must be a CPU quantity such as 0.5, "500m" or 2 (at least 1m)')
  .describe('CPU cores: 0.5, "500m" (millicores) or 2.');

const memoryQuantity = z
  .union([z.number().int().positive(), z.string().max(32)])
  .refine(
    (q) => parseMemory(q) !== undefined,
    'must be a memory quantity such as "512Mi", "2Gi", "1G" or a number of bytes',
  )
  .describe('Memory: "512Mi", "2Gi", "1G" (powers of 1024 with i, of 1000 without), or bytes as a number.');

/** What a task asks of one worker, or what one worker of a node class gives. */
export const ResourcesSchema = z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() });

/** Resources as written in a spec or node-class file. */
export type Resources = z.output<typeof ResourcesSchema>;

/** Resources in whole units: millicores and bytes. */
export interface ResourceAmounts {
  cpuMillis?: number;
  memoryBytes?: number;
}

/** The amounts of validated resources (absent fields stay absent). */
export function resourceAmounts(resources: Resources | undefined): ResourceAmounts {
  const cpu = resources?.cpu === undefined ? undefined : parseCpu(resources.cpu);
  const memory = resources?.memory === undefined ? undefined : parseMemory(resources.memory);
  return {
    ...(cpu === undefined ? {} : { cpuMillis: cpu }),
    ...(memory === undefined ? {} : { memoryBytes: memory }),
  };
}

/** One field of a request that no worker of the class can ever hold. */
export interface ResourceMisfit {
  /** `cpu` or `memory`. */
  field: 'cpu' | 'memory';
  message: string;
}

/**
 * The fields of `request` larger than what one worker of class `className` gives; empty when the
 * class declares no resources (it does no accounting) or the request fits.
 */
export function resourceMisfits(
  request: Resources | undefined,
  gives: Resources | undefined,
  className: string,
): ResourceMisfit[] {
  if (!request || !gives) return [];
  const asked = resourceAmounts(request);
  const has = resourceAmounts(gives);
  const misfits: ResourceMisfit[] = [];
  if (asked.cpuMillis !== undefined && has.cpuMillis !== undefined && asked.cpuMillis > has.cpuMillis) {
    misfits.push({
      field: 'cpu',
      message: `asks for ${formatCpu(asked.cpuMillis)} CPU, but a worker of node class "${className}" gives ${formatCpu(has.cpuMillis)}`,
    });
  }
  if (asked.memoryBytes !== undefined && has.memoryBytes !== undefined && asked.memoryBytes > has.memoryBytes) {
    misfits.push({
      field: 'memory',
      message: `asks for ${formatMemory(asked.memoryBytes)} of memory, but a worker of node class "${className}" gives ${formatMemory(has.memoryBytes)}`,
    });
  }
  return misfits;
}
