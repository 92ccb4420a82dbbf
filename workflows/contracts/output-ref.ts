/**
 * References to task outputs kept in the output store instead of Temporal history:
 * `capstan-ref:sha256:<64 hex>:<bytes>`. A reference is an ordinary output value, so workflows
 * carry and render it like any other string; the worker that runs a task replaces it by the content.
 */

/** Identity of stored content: its SHA-256 (lowercase hex) and its length in bytes (UTF-8). */
export interface OutputRef {
  sha256: string;
  bytes: number;
}

const PREFIX = 'capstan-ref:sha256:';
// Sixteen digits cover any real file; without a bound a crafted reference could claim a length no number holds.
const BODY = `${PREFIX}([0-9a-f]{64}):(0|[1-9][0-9]{0,15})`;
const WHOLE = new RegExp(`^${BODY}$`);

/** The pattern of a whole reference, for validating one given alone (e.g. in a URL). */
export const OUTPUT_REF_PATTERN = WHOLE.source;

/** The reference string of stored content. */
export function formatOutputRef(ref: OutputRef): string {
  return `${PREFIX}${ref.sha256}:${ref.bytes}`;
}

/** The reference a whole string is, or undefined when it is anything else. */
export function parseOutputRef(text: string): OutputRef | undefined {
  const match = WHOLE.exec(text);
  return match ? { sha256: match[1]!, bytes: Number(match[2]) } : undefined;
}

/** Every reference inside a text (a rendered template may hold several, among other words), in order. */
export function findOutputRefs(text: string): string[] {
  // A fresh global regex per call: a shared one would carry lastIndex from one text to the next.
  return [...text.matchAll(new RegExp(BODY, 'g'))].map((m) => m[0]);
}

/** The text with each reference replaced by `content(reference)`. */
export function replaceOutputRefs(text: string, content: (reference: string) => string): string {
  // A function replacer: content holding `$&` or `$1` must be inserted as written.
  return text.replace(new RegExp(BODY, 'g'), (reference) => content(reference));
}

/** Where the content lives inside the store directory: `sha256/<first 2 hex>/<64 hex>`. */
export function outputRefPath(ref: OutputRef): string {
  return `sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`;
}
