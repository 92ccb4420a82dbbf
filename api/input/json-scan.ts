/**
 * A strict JSON parser (RFC 8259) that refuses what `JSON.parse` lets through silently: a key given
 * twice in one object (where `JSON.parse` keeps the last) and nesting deeper than any spec needs.
 * It builds `__proto__` keys as own properties, as `JSON.parse` does, so the text rule can name them.
 */
import { fieldPath } from '../../config/zod-issues';

/** Deepest nesting of objects and arrays a body may have; specs need about ten levels. */
export const MAX_JSON_DEPTH = 128;

/** Why a text is not acceptable JSON, with the path of the place (empty for a syntax error) and the offset. */
export class JsonScanError extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[],
    readonly offset: number,
    readonly kind: 'syntax' | 'duplicate' | 'depth',
  ) {
    super(message);
  }

  /** The field the error is about, as the API names fields (`a.b[2]`), or `(body)` for the whole. */
  get field(): string {
    return this.path.length === 0 ? '(body)' : fieldPath(this.path);
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/** Parses `text` as one JSON value; throws JsonScanError for bad syntax, a duplicate key or too deep nesting. */
export function scanJson(text: string): unknown {
  return new Scanner(text).document();
}

class Scanner {
  private at = 0;
  private readonly path: (string | number)[] = [];

  constructor(private readonly text: string) {}

  document(): unknown {
    // A byte order mark is not JSON, but some clients send one; it says nothing about the value.
    if (this.text.charCodeAt(0) === 0xfeff) this.at = 1;
    const value = this.value(0);
    this.skipSpace();
    if (this.at < this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private value(depth: number): unknown {
    this.skipSpace();
    const c = this.text.charCodeAt(this.at);
    if (c === 0x7b /* { */) return this.object(depth + 1);
    if (c === 0x5b /* [ */) return this.array(depth + 1);
    if (c === 0x22 /* " */) return this.string();
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.text.startsWith('true', this.at)) return this.literal(4, true);
    if (this.text.startsWith('false', this.at)) return this.literal(5, false);
    if (this.text.startsWith('null', this.at)) return this.literal(4, null);
    return this.fail(Number.isNaN(c) ? 'unexpected end of the body' : `unexpected ${this.describeHere()}`);
  }

  private object(depth: number): Record<string, unknown> {
    this.enter(depth);
    const result: Record<string, unknown> = {};
    this.skipSpace();
    if (this.text.charCodeAt(this.at) === 0x7d /* } */) {
      this.at++;
      return result;
    }
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.at) !== 0x22)
        this.fail(`expected a key in double quotes, found ${this.describeHere()}`);
      const keyAt = this.at;
      const key = this.string();
      if (Object.hasOwn(result, key)) {
        throw new JsonScanError(
          `is given twice in one object; JSON keys must be unique`,
          [...this.path, key],
          keyAt,
          'duplicate',
        );
      }
      this.skipSpace();
      if (this.text.charCodeAt(this.at) !== 0x3a /* : */)
        this.fail(`expected ":" after a key, found ${this.describeHere()}`);
      this.at++;
      this.path.push(key);
      const value = this.value(depth);
      this.path.pop();
      // Assigning `__proto__` would set the prototype; an own property keeps it visible to the text rule.
      if (key === '__proto__')
        Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      else result[key] = value;
      if (this.endOfList(0x7d /* } */)) return result;
    }
  }

  private array(depth: number): unknown[] {
    this.enter(depth);
    const result: unknown[] = [];
    this.skipSpace();
    if (this.text.charCodeAt(this.at) === 0x5d /* ] */) {
      this.at++;
      return result;
    }
    for (;;) {
      this.path.push(result.length);
      result.push(this.value(depth));
      this.path.pop();
      if (this.endOfList(0x5d /* ] */)) return result;
    }
  }

  private enter(depth: number): void {
    if (depth > MAX_JSON_DEPTH) {
      throw new JsonScanError(
        `nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`,
        [...this.path],
        this.at,
        'depth',
      );
    }
    this.at++;
  }

  /** After a member: true at the closing bracket, false at a comma; anything else is a syntax error. */
  private endOfList(close: number): boolean {
    this.skipSpace();
    const c = this.text.charCodeAt(this.at);
    this.at++;
    if (c === close) return true;
    if (c === 0x2c /* , */) return false;
    this.at--;
    return this.fail(`expected "," or "${String.fromCharCode(close)}", found ${this.describeHere()}`);
  }

  private string(): string {
    const start = ++this.at;
    const text = this.text;
    // The common case, a string without escapes, is one slice.
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.at = i + 1;
        return text.slice(start, i);
      }
      if (c === 0x5c || c < 0x20) break;
    }
    return this.escapedString(start);
  }

  private escapedString(start: number): string {
    const text = this.text;
    const parts: string[] = [];
    let runStart = start;
    let i = start;
    for (;;) {
      if (i >= text.length) {
        this.at = i;
        return this.fail('a string is not closed');
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        parts.push(text.slice(runStart, i));
        this.at = i + 1;
        return parts.join('');
      }
      if (c < 0x20) {
        this.at = i;
        return this.fail('a control character must be escaped inside a string (e.g. \\n, \\u0000)');
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      parts.push(text.slice(runStart, i));
      const escape = text[i + 1] ?? '';
      if (escape === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!HEX4.test(hex)) {
          this.at = i;
          return this.fail('\\u must be followed by four hexadecimal digits');
        }
        parts.push(String.fromCharCode(parseInt(hex, 16)));
        i += 6;
      } else if (Object.hasOwn(ESCAPES, escape)) {
        parts.push(ESCAPES[escape]!);
        i += 2;
      } else {
        this.at = i;
        return this.fail(`"\\${escape}" is not a JSON escape`);
      }
      runStart = i;
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail(`unexpected ${this.describeHere()}`);
    this.at += match[0].length;
    return Number(match[0]);
  }

  private literal<T>(length: number, value: T): T {
    this.at += length;
    return value;
  }

  private skipSpace(): void {
    const text = this.text;
    let i = this.at;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    this.at = i;
  }

  private describeHere(): string {
    if (this.at >= this.text.length) return 'the end of the body';
    return JSON.stringify(this.text.slice(this.at, this.at + 12));
  }

  private fail(message: string): never {
    let line = 1;
    let lineStart = 0;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < this.at; i = this.text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    const column = this.at - lineStart + 1;
    throw new JsonScanError(`${message} (line ${line}, column ${column})`, [], this.at, 'syntax');
  }
}
