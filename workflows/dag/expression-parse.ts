/**
 * The parser of DAG expressions (the language is described in ./expression.ts). Pure and
 * deterministic: no imports, so workflow code can use it inside Temporal's sandbox.
 */

/** A literal value of the language. */
export type Literal = string | number | boolean | null;

/** The functions an expression may call, with how many arguments each takes (`-1`: one or more). */
const FUNCTIONS = {
  contains: 2,
  startsWith: 2,
  endsWith: 2,
  success: 0,
  failure: 0,
  always: 0,
  cancelled: 0,
  hashFiles: -1,
} as const;
export type FunctionName = keyof typeof FUNCTIONS;
/** Functions only a dialect that asks for them may call (a DAG cannot evaluate them). */
const DIALECT_FUNCTIONS: readonly FunctionName[] = ['cancelled', 'hashFiles'];

/**
 * A dialect of the language for another kind of run (pipelines): its own context words instead of
 * the DAG's `tasks.` and `matrix.`, and the extra functions it may call. Without one, the DAG's language.
 */
export interface ParseDialect {
  /** Words read as a context path: `branch`, `needs.build.result`, `steps.tag.outputs['odd name']`. */
  contexts: readonly string[];
  /** Functions beyond the DAG's, e.g. `cancelled`. */
  functions: readonly FunctionName[];
  /** What an unknown name's message says may be read instead. */
  hint: string;
  /** hashFiles() may be called: a cache step's fields, which the worker holding the files renders. */
  hashFiles?: boolean;
}

export type BinaryOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

/** A parsed expression: plain JSON data, so it can cross Temporal's payload boundary unchanged. */
export type Expr =
  | { type: 'literal'; value: Literal }
  | { type: 'status'; task: string }
  | { type: 'outputs'; task: string; output?: string }
  | { type: 'matrix'; key: string }
  | { type: 'context'; path: string[] }
  | { type: 'not'; operand: Expr }
  | { type: 'binary'; op: BinaryOperator; left: Expr; right: Expr }
  | { type: 'call'; fn: FunctionName; args: Expr[] };

/** A malformed expression or template; `position` is the 0-based offset in the parsed string. */
export class ExpressionError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at ${position}`);
    this.name = 'ExpressionError';
    this.position = position;
  }
}

/** Parses a condition expression; throws ExpressionError. */
export function parseExpression(source: string, dialect?: ParseDialect): Expr {
  const parser = new Parser(source, 0, dialect);
  const expr = parser.parse();
  parser.skipSpace();
  if (parser.pos < source.length)
    throw new ExpressionError(`expected end of expression, found ${parser.describe()}`, parser.pos);
  return expr;
}

/** Parses one expression starting at `start` and stops before the first text that cannot continue it; for templates. */
export function parseExpressionAt(source: string, start: number, dialect?: ParseDialect): { expr: Expr; end: number } {
  const parser = new Parser(source, start, dialect);
  const expr = parser.parse();
  parser.skipSpace();
  return { expr, end: parser.pos };
}

/** Describes the text at `pos` for an error message: a word, a character, or the end. */
export function describeAt(source: string, pos: number): string {
  if (pos >= source.length) return 'end of input';
  let end = pos;
  while (end < source.length && isWordChar(source[end]!)) end++;
  return `'${end > pos ? source.slice(pos, end) : source[pos]}'`;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isWordStart = (c: string): boolean => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '_';
const isWordChar = (c: string): boolean => isWordStart(c) || isDigit(c);

/** Recursive descent, loosest first: `||`, `&&`, `==`/`!=`, `<`/`<=`/`>`/`>=`, `!`, then values. */
class Parser {
  constructor(
    private readonly src: string,
    public pos: number,
    private readonly dialect?: ParseDialect,
  ) {}

  parse(): Expr {
    return this.binary(0);
  }

  skipSpace(): void {
    while (this.pos < this.src.length && isSpace(this.src[this.pos]!)) this.pos++;
  }

  describe(): string {
    return describeAt(this.src, this.pos);
  }

  /** Binary levels, loosest first; all are left-associative. Longer operators first within a level. */
  private static readonly LEVELS: BinaryOperator[][] = [['||'], ['&&'], ['==', '!='], ['<=', '>=', '<', '>']];

  private binary(level: number): Expr {
    const operators = Parser.LEVELS[level];
    if (operators === undefined) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      this.skipSpace();
      const op = operators.find((o) => this.src.startsWith(o, this.pos));
      if (op === undefined) return left;
      this.pos += op.length;
      left = { type: 'binary', op, left, right: this.binary(level + 1) };
    }
  }

  private unary(): Expr {
    this.skipSpace();
    if (this.src[this.pos] === '!' && this.src[this.pos + 1] !== '=') {
      this.pos++;
      return { type: 'not', operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): Expr {
    const start = this.pos;
    const c = this.src[start] ?? '';
    if (c === '(') {
      this.pos++;
      const inner = this.parse();
      this.expect(')');
      return inner;
    }
    if (c === "'") return { type: 'literal', value: this.string() };
    if (c === '-' || isDigit(c)) return { type: 'literal', value: this.number() };
    if (!isWordStart(c)) throw new ExpressionError(`expected a value, found ${this.describe()}`, start);
    const word = this.word();
    if (word === 'true' || word === 'false') return { type: 'literal', value: word === 'true' };
    if (word === 'null') return { type: 'literal', value: null };
    if (this.dialect) return this.dialectName(word, start);
    if (word === 'tasks' && this.src[this.pos] === '.') return this.taskReference();
    if (word === 'matrix' && this.src[this.pos] === '.') {
      this.pos++;
      return { type: 'matrix', key: this.identifier('a matrix key', isWordChar) };
    }
    this.skipSpace();
    if (this.src[this.pos] === '(') return this.call(word, start);
    throw new ExpressionError(
      `expected a literal, 'tasks.<id>...', 'matrix.<key>' or a function call, found '${word}'`,
      start,
    );
  }

  /** A name in a dialect: one of its contexts (then its path), a function call, or an error with the dialect's hint. */
  private dialectName(word: string, start: number): Expr {
    const dialect = this.dialect!;
    const next = this.src[this.pos];
    if (dialect.contexts.includes(word)) return this.contextPath(word);
    if (next === '.' || next === '[') throw new ExpressionError(`unknown context '${word}'; ${dialect.hint}`, start);
    this.skipSpace();
    if (this.src[this.pos] === '(') return this.call(word, start);
    throw new ExpressionError(`unknown name '${word}'; ${dialect.hint}`, start);
  }

  /** After a context word: `.<name>` or `['<name>']` segments; after `outputs`, a name may hold dots, as in the DAG. */
  private contextPath(word: string): Expr {
    const path = [word];
    for (;;) {
      const c = this.src[this.pos];
      if (c === '.') {
        this.pos++;
        const dots = path.at(-1) === 'outputs';
        path.push(this.identifier('a name', (ch) => isWordChar(ch) || ch === '-' || (dots && ch === '.')));
      } else if (c === '[') {
        this.pos++;
        this.skipSpace();
        if (this.src[this.pos] !== "'") throw new ExpressionError('expected a quoted name', this.pos);
        path.push(this.string());
        this.expect(']');
      } else {
        return { type: 'context', path };
      }
    }
  }

  /** After `tasks`: `.<id>.status`, `.<id>.outputs`, `.<id>.outputs.<name>` or `.<id>.outputs['<name>']`. */
  private taskReference(): Expr {
    this.pos++;
    const task = this.identifier('a task id', (c) => isWordChar(c) || c === '-');
    this.expect('.', false);
    const fieldAt = this.pos;
    const field = isWordStart(this.src[this.pos] ?? '') ? this.word() : '';
    if (field === 'status') return { type: 'status', task };
    if (field !== 'outputs')
      throw new ExpressionError(`expected 'status' or 'outputs', found ${describeAt(this.src, fieldAt)}`, fieldAt);
    if (this.src[this.pos] === '.') {
      this.pos++;
      return {
        type: 'outputs',
        task,
        output: this.identifier('an output name', (c) => isWordChar(c) || c === '-' || c === '.'),
      };
    }
    if (this.src[this.pos] === '[') {
      this.pos++;
      this.skipSpace();
      if (this.src[this.pos] !== "'") throw new ExpressionError('expected a quoted output name', this.pos);
      const output = this.string();
      this.expect(']');
      return { type: 'outputs', task, output };
    }
    return { type: 'outputs', task };
  }

  private call(name: string, start: number): Expr {
    const known = Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
    const fn = name as FunctionName;
    // hashFiles() is a pipeline's, allowed only where the worker renders; elsewhere in a pipeline it says so.
    const allowed = fn === 'hashFiles' ? this.dialect !== undefined : this.dialect?.functions.includes(fn);
    if (!known || (DIALECT_FUNCTIONS.includes(fn) && !allowed))
      throw new ExpressionError(`unknown function '${name}'`, start);
    if (fn === 'hashFiles' && !this.dialect?.hashFiles)
      throw new ExpressionError(
        "hashFiles() is only available in a cache step's key, restore-keys and path, which the worker renders",
        start,
      );
    this.pos++;
    const args: Expr[] = [];
    this.skipSpace();
    if (this.src[this.pos] !== ')') {
      for (;;) {
        args.push(this.parse());
        this.skipSpace();
        if (this.src[this.pos] !== ',') break;
        this.pos++;
      }
    }
    this.expect(')');
    if (FUNCTIONS[fn] === -1 ? args.length === 0 : args.length !== FUNCTIONS[fn])
      throw new ExpressionError(
        FUNCTIONS[fn] === -1
          ? `expected at least one argument to ${fn}()`
          : `expected ${FUNCTIONS[fn]} argument(s) to ${fn}(), found ${args.length}`,
        start,
      );
    return { type: 'call', fn, args };
  }

  private expect(text: string, skipSpace = true): void {
    if (skipSpace) this.skipSpace();
    if (!this.src.startsWith(text, this.pos))
      throw new ExpressionError(`expected '${text}', found ${this.describe()}`, this.pos);
    this.pos += text.length;
  }

  private word(): string {
    const start = this.pos;
    while (this.pos < this.src.length && isWordChar(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** A letter or `_`, then characters accepted by `rest`. */
  private identifier(what: string, rest: (c: string) => boolean): string {
    const start = this.pos;
    if (!isWordStart(this.src[start] ?? ''))
      throw new ExpressionError(`expected ${what}, found ${this.describe()}`, start);
    this.pos++;
    while (this.pos < this.src.length && rest(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** `'…'`, where `''` stands for one quote. */
  private string(): string {
    const start = this.pos;
    let value = '';
    this.pos++;
    for (;;) {
      const close = this.src.indexOf("'", this.pos);
      if (close < 0) throw new ExpressionError('unterminated string', start);
      value += this.src.slice(this.pos, close);
      this.pos = close + 1;
      if (this.src[this.pos] !== "'") return value;
      value += "'";
      this.pos++;
    }
  }

  /** `-`? digits (`.` digits)?. */
  private number(): number {
    const start = this.pos;
    if (this.src[this.pos] === '-') this.pos++;
    const digits = (): number => {
      const from = this.pos;
      while (this.pos < this.src.length && isDigit(this.src[this.pos]!)) this.pos++;
      return this.pos - from;
    };
    if (digits() === 0) throw new ExpressionError('expected a digit', this.pos);
    if (this.src[this.pos] === '.' && isDigit(this.src[this.pos + 1] ?? '')) {
      this.pos++;
      digits();
    }
    if (isWordChar(this.src[this.pos] ?? ''))
      throw new ExpressionError(`expected a number, found ${describeAt(this.src, start)}`, start);
    const value = Number(this.src.slice(start, this.pos));
    if (!Number.isFinite(value)) throw new ExpressionError('number out of range', start);
    return value;
  }
}
