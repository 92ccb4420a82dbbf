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
      {/* An SVG rect's width is an attribute, not a style, so the console's CSP (style-src 'self') allows it. */}
      <svg className="usage-bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <rect className="usage-track" width="100" height="6" />
        <rect className="usage-fill" width={Math.min(100, Math.max(0, percent))} height="6" />
      </svg>
      <span className="usage-detail hint">{detail}</span>
    </div>
  );
}
