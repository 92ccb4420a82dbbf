/** The price catalog of resource types and the budgets file: YAML in config/, each overridable by a file of the deployment. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { describeIssues, fieldIssues } from '../../config/zod-issues';
import { dollarsToMicros } from '../../cost-model/money';

const PriceFileSchema = z.strictObject({
  currency: z.literal('USD').default('USD'),
  resourcePrices: z.record(z.string().min(1), z.number().min(0, 'must be a price per hour in USD, 0 or more')),
});

const BudgetSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be lowercase letters, digits, ".", "_" and "-"'),
    label: z.string().min(1).max(63).optional(),
    value: z.string().min(1).max(256).optional(),
    monthlyUsd: z.number().positive('must be a monthly amount in USD above 0'),
    thresholds: z.array(z.number().positive().max(10)).min(1).default([0.8, 1]),
  })
  .refine((b) => (b.label === undefined) === (b.value === undefined), {
    message: 'label and value go together (both or neither)',
    path: ['value'],
  });

const BudgetFileSchema = z.strictObject({ budgets: z.array(BudgetSchema) }).superRefine((file, ctx) => {
  const seen = new Set<string>();
  file.budgets.forEach((b, i) => {
    if (seen.has(b.name))
      ctx.addIssue({ code: 'custom', path: ['budgets', i, 'name'], message: `duplicate budget "${b.name}"` });
    seen.add(b.name);
  });
});

/** A monthly budget over all spend or over one label value, with the fractions that alert. */
export interface Budget {
  name: string;
  label?: string;
  value?: string;
  amountMicros: number;
  thresholds: number[];
}

/** A cost configuration file that cannot be used; the message names the file and the bad entry. */
export class CostConfigError extends Error {}

function readYaml(path: string, what: string, variable: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CostConfigError(`cannot read ${what} ${path} (${variable}): ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    throw new CostConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
}

function validated<S extends z.ZodType>(schema: S, raw: unknown, path: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new CostConfigError(`${path}: ${describeIssues(fieldIssues(result.error.issues))}`);
  return result.data;
}

/** The catalog in micro-dollars per hour: the repo's defaults, with the override file's entries replacing or adding types. */
export function loadResourcePrices(defaultsPath: string, overridePath?: string): Map<string, number> {
  const prices = new Map<string, number>();
  for (const path of overridePath === undefined ? [defaultsPath] : [defaultsPath, overridePath]) {
    const file = validated(
      PriceFileSchema,
      readYaml(path, 'resource price catalog', 'CAPSTAN_COST_PRICE_CATALOG_FILE'),
      path,
    );
    for (const [type, dollars] of Object.entries(file.resourcePrices)) prices.set(type, dollarsToMicros(dollars));
  }
  return prices;
}

/** The budgets of a budgets file, amounts in micro-dollars. */
export function loadBudgets(path: string): Budget[] {
  const file = validated(BudgetFileSchema, readYaml(path, 'budgets file', 'CAPSTAN_COST_BUDGETS_FILE'), path);
  return file.budgets.map((b) => ({
    name: b.name,
    ...(b.label === undefined ? {} : { label: b.label, value: b.value }),
    amountMicros: dollarsToMicros(b.monthlyUsd),
    thresholds: [...new Set(b.thresholds)].sort((x, y) => x - y),
  }));
}
