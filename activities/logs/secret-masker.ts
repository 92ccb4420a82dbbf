/** Masks secret values in log text, as GitHub Actions and Buildkite do: each occurrence becomes `***`. */

/** What a masked value is replaced with. */
export const MASK = '***';

/** Values shorter than this are not masked: masking `1` or `on` would garble every log and hide nothing. */
const MIN_SECRET_LENGTH = 4;

/** The command a task prints to mask a value from then on (GitHub Actions' workflow command). */
const ADD_MASK_PREFIX = '::add-mask::';

/** The set of secret values of one attempt and the masking of its lines. */
export class SecretMasker {
  private values: string[] = [];

  /** Adds a secret; a multi-line value is masked line by line, since logs are cut into lines before masking. */
  add(value: string): void {
    const parts = value.split(/\r?\n/).map((part) => part.trim());
    for (const part of parts) {
      if (part.length < MIN_SECRET_LENGTH || this.values.includes(part)) continue;
      this.values.push(part);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.values.sort((a, b) => b.length - a.length);
  }

  /** Adds the values of the variables in `env` whose names match one of `patterns` (`*` matches any run of characters). */
  addFromEnv(env: Readonly<Record<string, string | undefined>>, patterns: readonly string[]): void {
    const matchers = patterns.map(globToRegExp);
    for (const [name, value] of Object.entries(env)) {
      if (value !== undefined && matchers.some((m) => m.test(name))) this.add(value);
    }
  }

  /** Number of values masked. */
  get size(): number {
    return this.values.length;
  }

  /**
   * Whole lines with every secret masked. A line `::add-mask::VALUE` adds VALUE first, so the line
   * that announces a secret never shows it either.
   */
  maskLines(text: string): string {
    if (text.includes(ADD_MASK_PREFIX)) {
      for (const line of text.split('\n')) {
        const trimmed = line.trimStart();
        if (trimmed.startsWith(ADD_MASK_PREFIX)) this.add(trimmed.slice(ADD_MASK_PREFIX.length));
      }
    }
    return this.mask(text);
  }

  /** The text with every secret masked. */
  mask(text: string): string {
    let masked = text;
    for (const value of this.values) if (masked.includes(value)) masked = masked.split(value).join(MASK);
    return masked;
  }
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
