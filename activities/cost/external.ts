/** Reads every configured billing source for the window; a source that fails is reported, not fatal, so the rest of the analysis stands. */
import type { BillingSource } from './billing/billing-source';
import type { CostReport } from './report-model';

/** External costs of [fromDay, toDay) per source and service, with the sources that could not be read. */
export async function gatherExternal(
  sources: readonly BillingSource[],
  fromDay: string,
  toDay: string,
): Promise<CostReport['external'] & { totalMicros: number }> {
  const result: CostReport['external'] & { totalMicros: number } = { sources: [], errors: [], totalMicros: 0 };
  for (const source of sources) {
    try {
      const costs = await source.dailyCosts(fromDay, toDay);
      const services = new Map<string, number>();
      for (const c of costs) services.set(c.service, (services.get(c.service) ?? 0) + c.micros);
      const totalMicros = [...services.values()].reduce((a, b) => a + b, 0);
      result.sources.push({
        source: source.name,
        totalMicros,
        services: [...services].map(([service, micros]) => ({ service, micros })).sort((a, b) => b.micros - a.micros),
      });
      result.totalMicros += totalMicros;
    } catch (err) {
      result.errors.push({ source: source.name, error: (err as Error).message });
    }
  }
  return result;
}
