/**
 * A tokenizer for GitHub Actions expressions (`github.ref == 'refs/heads/main' && success()`): enough
 * of their grammar to rename contexts and functions in place while keeping the author's spacing.
 */

/** One token with where it stands in the expression's text. */
export interface Token {
  kind: 'string' | 'number' | 'literal' | 'path' | 'function' | 'operator' | '(' | ')' | ',';
  text: string;
  start: number;
  end: number;
  /** The value of a string literal (`''` read as one quote). */
  value?: string;
}

const PATH = /[A-Za-z_][A-Za-z0-9_-]*(?:\.(?:[A-Za-z_][A-Za-z0-9_-]*|\*)|\[[^\]]*\])*/y;
const NUMBER = /-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/y;
const OPERATOR = /==|!=|<=|>=|&&|\|\||<|>|!/y;

/** The tokens of `src`, or the position of the first character that is not part of an expression. */
export function tokenize(src: string): Token[] | { error: number } {
  const tokens: Token[] = [];
  let pos = 0;
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    return re.exec(src)?.[0];
  };
  while (pos < src.length) {
    const c = src[pos]!;
    if (/\s/.test(c)) {
      pos++;
      continue;
    }
    if (c === "'") {
      let end = pos + 1;
      let value = '';
      for (;;) {
        const close = src.indexOf("'", end);
        if (close < 0) return { error: pos };
        value += src.slice(end, close);
        end = close + 1;
        if (src[end] !== "'") break;
        value += "'";
        end++;
      }
      tokens.push({ kind: 'string', text: src.slice(pos, end), start: pos, end, value });
      pos = end;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, start: pos, end: pos + 1 });
      pos++;
      continue;
    }
    const number = /[-\d]/.test(c) ? match(NUMBER) : undefined;
    const operator = number ? undefined : match(OPERATOR);
    const path = number || operator ? undefined : match(PATH);
    const text = number ?? operator ?? path;
    if (!text) return { error: pos };
    const end = pos + text.length;
    const kind = number
      ? 'number'
      : operator
        ? 'operator'
        : /^(?:true|false|null)$/.test(text)
          ? 'literal'
          : /^\s*\(/.test(src.slice(end))
            ? 'function'
            : 'path';
    tokens.push({ kind, text, start: pos, end });
    pos = end;
  }
  return tokens;
}

/** Where `${{ … }}` templates are in a text: the index of `${{`, of its inner text, and just past `}}`. */
export function findTemplates(text: string): Array<{ start: number; inner: string; end: number }> {
  const found: Array<{ start: number; inner: string; end: number }> = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('${{', from);
    if (start < 0) return found;
    let pos = start + 3;
    let quoted = false;
    // A `}}` inside a quoted string does not close the template.
    while (pos < text.length && (quoted || !text.startsWith('}}', pos))) {
      if (text[pos] === "'") quoted = !quoted;
      pos++;
    }
    if (pos >= text.length) return found;
    found.push({ start, inner: text.slice(start + 3, pos), end: pos + 2 });
    from = pos + 2;
  }
}

/** The text between the top-level `&&` of a condition, or the whole text when it has a top-level `||` or none. */
export function topLevelConjuncts(src: string, tokens: Token[]): string[] {
  let depth = 0;
  const cuts: number[] = [];
  for (const t of tokens) {
    if (t.kind === '(') depth++;
    else if (t.kind === ')') depth--;
    else if (depth === 0 && t.text === '||') return [src.trim()];
    else if (depth === 0 && t.text === '&&') cuts.push(t.start);
  }
  const parts: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    parts.push(src.slice(from, cut).trim());
    from = cut + 2;
  }
  parts.push(src.slice(from).trim());
  return parts;
}
