/** Budgets against month-to-date spend: which alert thresholds the spend has crossed. */
import type { Budget } from './cost-config';
import { formatUsd } from '../../cost-model/money';

/** A budget's standing in its month. */
export interface BudgetStatus {
  name: string;
  scope: string;
  month: string;
  amountMicros: number;
  spentMicros: number;
  /** Spent over amount, to 4 decimals. */
  ratio: number;
  thresholds: number[];
  crossed: number[];
  explanation: string;
}

/** Compares each budget with `spentOf(budget)`, the month-to-date spend in its scope. */
export function evaluateBudgets(
  budgets: readonly Budget[],
  month: string,
  spentOf: (b: Budget) => number,
): BudgetStatus[] {
  return budgets.map((b) => {
    const spent = spentOf(b);
    const crossed = b.thresholds.filter((t) => spent >= Math.round(b.amountMicros * t));
    const scope = b.label === undefined ? 'all spend' : `label ${b.label}=${b.value}`;
    const ratio = Math.round((spent / b.amountMicros) * 10_000) / 10_000;
    return {
      name: b.name,
      scope,
      month,
      amountMicros: b.amountMicros,
      spentMicros: spent,
      ratio,
      thresholds: b.thresholds,
      crossed,
      explanation: `budget ${b.name} (${scope}): ${formatUsd(spent)} of ${formatUsd(b.amountMicros)} spent in ${month} (${(ratio * 100).toFixed(1)}%)`,
    };
  });
}
