/** A share in use as a figure and a small bar; past the warning threshold both turn the warning colour. */
import { HIGH_USE_PERCENT } from '../pages/fleet-format';

/**
 * `percent` of something used, with `detail` (e.g. "12 GiB of 16 GiB") below; the bar is decoration, the words carry
 * the meaning, so screen readers read the figure and the detail only.
 */
export function UsageBar({
  percent,
  detail,
  testId,
}: {
  percent: number | undefined;
  detail: string;
  testId?: string;
}) {
  if (percent === undefined) return <span className="hint">not reported</span>;
  const high = percent > HIGH_USE_PERCENT;
  return (
    <div className={`usage${high ? ' usage-high' : ''}`} data-testid={testId} data-high={high ? 'true' : undefined}>
      <span className="usage-figure">{Math.round(percent)}%</span>
      <span className="usage-bar" aria-hidden="true">
        <span style={{ width: `${Math.min(100, percent)}%` }} />
      </span>
      <span className="usage-detail hint">{detail}</span>
    </div>
  );
}
