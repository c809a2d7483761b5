// Recursive-descent parser with statement-level error recovery: a syntax error skips the rest of
// its statement only, so one typo yields one diagnostic and the rest of the file still analyses.
import { CORE_DEFAULTS, limitText } from '../defaults';
import type { DiagnosticSink } from '../diagnostics';
import { joinSpans, type Span } from '../text';
import type {
  Assign,
  BackwardBlock,
  BinaryOp,
  Call,
  DimRef,
  DimsDecl,
  Expect,
  Expr,
  GateDecl,
  GateParam,
  IndexItem,
  Init,
  IntRange,
  KwArg,
  Program,
  SeedDecl,
  Statement,
  TensorDecl,
  TypeAnn,
} from './ast';
import { lex } from './lexer';
import type { Token } from './tokens';

/** Deepest expression nesting accepted; deeper input gets a diagnostic instead of a stack overflow. */
export const MAX_NESTING = 256;
/** Most binary operators accepted in one statement. */
export const MAX_OPERATORS = 1000;

class ParseError extends Error {
  constructor(
    readonly msg: string,
    readonly at: Span,
  ) {
    super(msg);
  }
}

const COMPARISON_OPS = new Set(['>', '<', '>=', '<=', '==']);

export function parse(text: string, sink: DiagnosticSink): Program {
  return parseTokens(lex(text, sink), sink);
}

/** Parses tokens already produced by `lex` (for callers that need both, e.g. the IDE features). */
export function parseTokens(tokens: Token[], sink: DiagnosticSink): Program {
  return new Parser(tokens, sink).parseProgram();
}

/**
 * One expression on its own (a debugger's watch or condition): the statement grammar's expression,
 * then the end of the text. Errors go to the sink; null when nothing usable was parsed.
 */
export function parseExpression(text: string, sink: DiagnosticSink): Expr | null {
  return new Parser(lex(text, sink), sink).parseLoneExpression();
}

class Parser {
  private pos = 0;
  private depth = 0;
  private operators = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly sink: DiagnosticSink,
  ) {}

  // ---------------------------------------------------------------- helpers

  private get tok(): Token {
    return this.tokens[this.pos];
  }

  private peek(k = 1): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.tokens[this.pos];
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private is(text: string): boolean {
    const t = this.tok;
    return (t.kind === 'punct' || t.kind === 'op' || t.kind === 'keyword') && t.text === text;
  }

  private accept(text: string): Token | null {
    if (this.is(text)) return this.next();
    return null;
  }

  private expect(text: string, what?: string): Token {
    if (this.is(text)) return this.next();
    throw this.errorHere(`expected ${what ?? `\`${text}\``}`);
  }

  private errorHere(msg: string): ParseError {
    const t = this.tok;
    const found = describe(t);
    return new ParseError(`${msg}, found ${found}`, t.kind === 'eof' || t.kind === 'newline' ? lastCharSpan(this.prevSpan(), t) : t.span);
  }

  private prevSpan(): Span {
    return this.pos > 0 ? this.tokens[this.pos - 1].span : this.tok.span;
  }

  private ident(what: string): Token {
    if (this.tok.kind === 'ident') return this.next();
    if (this.tok.kind === 'keyword') throw new ParseError(`expected ${what}, found the keyword \`${this.tok.text}\` (keywords cannot be names)`, this.tok.span);
    throw this.errorHere(`expected ${what}`);
  }

  private atStatementEnd(): boolean {
    return this.tok.kind === 'newline' || this.tok.kind === 'eof' || this.is('}');
  }

  private endStatement(): void {
    if (this.tok.kind === 'newline') {
      this.next();
      return;
    }
    if (this.tok.kind === 'eof' || this.is('}')) return;
    throw this.errorHere('expected the end of the line');
  }

  /** Skips to the start of the next statement (after a newline), never past a `}` that closes a block. */
  private recover(insideBlock: boolean): void {
    let depth = 0;
    while (this.tok.kind !== 'eof') {
      if (this.tok.kind === 'newline') {
        this.next();
        return;
      }
      if (this.is('{')) depth++;
      if (this.is('}')) {
        if (depth === 0 && insideBlock) return;
        depth = Math.max(0, depth - 1);
      }
      this.next();
    }
  }

  private report(e: unknown): void {
    if (e instanceof ParseError) this.sink.error('syntax', e.msg, e.at);
    else throw e;
  }

  private skipNewlines(): void {
    while (this.tok.kind === 'newline') this.next();
  }

  // ---------------------------------------------------------------- statements

  parseProgram(): Program {
    const statements: Statement[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.tok.kind === 'eof') break;
      if (this.is('}')) {
        this.sink.error('syntax', 'unexpected `}` with no open gate or backward block', this.tok.span);
        this.next();
        continue;
      }
      if (statements.length === CORE_DEFAULTS.maxStatements) {
        // Bounded work per file: everything later would be parsed, analysed and shipped to the editor.
        this.sink.error(
          'too-large',
          `this file has more than ${limitText(CORE_DEFAULTS.maxStatements)} statements; GradLens analyses the first ${limitText(CORE_DEFAULTS.maxStatements)} and stops here. Split the file, or move repeated layers into a gate`,
          this.tok.span,
        );
        break;
      }
      const start = this.pos;
      try {
        const s = this.parseStatement();
        if (s) statements.push(s);
        this.endStatement();
      } catch (e) {
        this.report(e);
        this.recover(false);
      }
      if (this.pos === start) this.next(); // always make progress
    }
    return { statements };
  }

  parseLoneExpression(): Expr | null {
    this.skipNewlines();
    try {
      const atEof = () => this.tok.kind === 'eof';
      if (atEof()) throw this.errorHere('expected an expression');
      const e = this.parseExpr();
      this.skipNewlines();
      if (!atEof()) throw this.errorHere('expected the end of the expression');
      return e;
    } catch (e) {
      this.report(e);
      return null;
    }
  }

  private parseStatement(): Statement | null {
    this.operators = 0;
    const t = this.tok;
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'seed':
          return this.parseSeed();
        case 'dims':
          return this.parseDims();
        case 'input':
        case 'param':
        case 'const':
          return this.parseDecl();
        case 'gate':
          return this.parseGate();
        case 'expect':
          return this.parseExpect();
        case 'backward':
          throw new ParseError('`backward` blocks belong inside a gate: `gate name(…) -> out: […] { … backward { … } }`', t.span);
        default:
          throw new ParseError(`a statement cannot start with \`${t.text}\``, t.span);
      }
    }
    if (t.kind === 'ident') {
      if (this.peek().text === '=' && this.peek().kind === 'punct') return this.parseAssign();
      throw new ParseError(
        `expected \`=\` after \`${t.text}\` (statements are \`name = expression\`), found ${describe(this.peek())}`,
        this.peek().kind === 'newline' || this.peek().kind === 'eof' ? t.span : this.peek().span,
      );
    }
    throw this.errorHere('expected a statement (a declaration, `name = expression`, `gate` or `expect`)');
  }

  private parseSeed(): SeedDecl {
    const kw = this.next();
    const v = this.tok;
    if (v.kind !== 'number' || !Number.isInteger(v.value) || (v.value as number) < 0) throw this.errorHere('expected a non-negative integer seed');
    this.next();
    return { kind: 'seed', value: v.value as number, valueSpan: v.span, span: joinSpans(kw.span, v.span) };
  }

  private parseDims(): DimsDecl {
    const kw = this.next();
    const items: DimsDecl['items'] = [];
    do {
      const name = this.ident('a dimension name');
      this.expect('=');
      const v = this.tok;
      if (v.kind !== 'number') throw this.errorHere(`expected the size of \`${name.text}\``);
      this.next();
      items.push({ name: name.text, nameSpan: name.span, value: v.value as number, valueSpan: v.span });
    } while (this.accept(','));
    return { kind: 'dims', items, span: joinSpans(kw.span, this.prevSpan()) };
  }

  private parseDecl(): TensorDecl {
    const kw = this.next();
    const name = this.ident(`a name after \`${kw.text}\``);
    let type: TypeAnn | null = null;
    let range: IntRange | null = null;
    let init: Init | null = null;
    if (this.accept(':')) type = this.parseType();
    if (this.is('in')) {
      const inTok = this.next();
      const lo = this.parseDimRef(true);
      this.expect('..', '`..` (a range is written `0..C`)');
      const hi = this.parseDimRef(true);
      range = { lo, hi, span: joinSpans(inTok.span, hi.span) };
    }
    if (this.accept('=')) {
      const e = this.parseExpr();
      init = { kind: 'literal', expr: e, span: e.span };
    } else if (this.accept('~')) {
      const dist = this.ident('an initialiser (randn, normal(std), uniform(a, b), xavier, he, zeros, ones)');
      let args: Expr[] = [];
      let kwargs: KwArg[] = [];
      if (this.is('(')) ({ args, kwargs } = this.parseArgs());
      init = { kind: 'random', dist: dist.text, distSpan: dist.span, args, kwargs, span: joinSpans(dist.span, this.prevSpan()) };
    }
    if (!this.atStatementEnd()) {
      throw this.errorHere(type ? 'expected `=`, `~` or the end of the declaration' : 'expected `:`, `=`, `~` or the end of the declaration');
    }
    return { kind: 'decl', declKind: kw.text as TensorDecl['declKind'], name: name.text, nameSpan: name.span, type, range, init, span: joinSpans(kw.span, this.prevSpan()) };
  }

  private parseType(): TypeAnn {
    const start = this.tok.span;
    const isInt = !!this.accept('int');
    if (!this.is('[')) {
      if (isInt) return { isInt, shape: [], span: start };
      throw this.errorHere('expected a shape such as `[N, D]` or `int[N]`');
    }
    const shape = this.parseShape();
    return { isInt, shape, span: joinSpans(start, this.prevSpan()) };
  }

  private parseShape(): DimRef[] {
    this.expect('[');
    const dims: DimRef[] = [];
    if (!this.is(']')) {
      do {
        dims.push(this.parseDimRef(false));
      } while (this.accept(','));
    }
    this.expect(']', '`]` or `,`');
    return dims;
  }

  private parseDimRef(allowNegative: boolean): DimRef {
    const t = this.tok;
    if (t.kind === 'ident') {
      this.next();
      return { kind: 'name', name: t.text, span: t.span };
    }
    if (allowNegative && this.is('-') && this.peek().kind === 'number') {
      const minus = this.next();
      const num = this.next();
      return { kind: 'int', value: -(num.value as number), span: joinSpans(minus.span, num.span) };
    }
    if (t.kind === 'number') {
      if (!Number.isInteger(t.value) || (t.value as number) < 0) throw new ParseError(`a dimension must be a name or a non-negative integer, found \`${t.text}\``, t.span);
      this.next();
      return { kind: 'int', value: t.value as number, span: t.span };
    }
    throw this.errorHere('expected a dimension name or an integer');
  }

  private parseAssign(): Assign {
    const name = this.next();
    this.next(); // '='
    if (this.atStatementEnd()) throw this.errorHere(`expected an expression after \`${name.text} =\``);
    const expr = this.parseExpr();
    return { kind: 'assign', name: name.text, nameSpan: name.span, expr, span: joinSpans(name.span, expr.span) };
  }

  private parseExpect(): Expect {
    const kw = this.next();
    const whatTok = this.tok;
    if (whatTok.kind !== 'ident' || !['shape', 'value', 'grad'].includes(whatTok.text)) {
      throw this.errorHere('expected `shape`, `value` or `grad` after `expect`');
    }
    this.next();
    const target = this.ident('the name to check');
    let op: '==' | '~=';
    if (this.accept('==')) op = '==';
    else if (this.accept('~=')) op = '~=';
    else throw this.errorHere('expected `==` (or `~=` for a rounded number)');
    if (whatTok.text === 'shape') {
      if (op !== '==') throw new ParseError('shapes are compared with `==`', this.prevSpan());
      const shape = this.parseShape();
      return { kind: 'expect', what: 'shape', target: target.text, targetSpan: target.span, op, shape, expected: null, span: joinSpans(kw.span, this.prevSpan()) };
    }
    const expected = this.parseExpr();
    return {
      kind: 'expect',
      what: whatTok.text as 'value' | 'grad',
      target: target.text,
      targetSpan: target.span,
      op,
      shape: null,
      expected,
      span: joinSpans(kw.span, expected.span),
    };
  }

  // ---------------------------------------------------------------- gates

  private parseGate(): GateDecl {
    const kw = this.next();
    const name = this.ident('the gate name');
    this.expect('(');
    const params: GateParam[] = [];
    if (!this.is(')')) {
      do {
        params.push(this.parseGateParam('an input name'));
      } while (this.accept(','));
    }
    this.expect(')', '`)` or `,`');
    this.expect('->', '`->` and the output, e.g. `-> out: [N, M]`');
    const output = this.parseGateParam('the output name');
    const headerSpan = joinSpans(kw.span, this.prevSpan());
    this.expect('{', '`{` to open the gate body');
    const body: Assign[] = [];
    let backward: BackwardBlock | null = null;
    for (;;) {
      this.skipNewlines();
      if (this.tok.kind === 'eof') {
        this.sink.error('syntax', `gate \`${name.text}\` is not closed: expected \`}\``, headerSpan);
        break;
      }
      if (this.accept('}')) break;
      if (this.is('backward')) {
        const b = this.parseBackward();
        if (backward) this.sink.error('syntax', 'a gate has at most one `backward` block', b.keywordSpan);
        else backward = b;
        continue;
      }
      this.parseBlockStatement(body, 'gate body');
    }
    return { kind: 'gate', name: name.text, nameSpan: name.span, params, output, body, backward, headerSpan, span: joinSpans(kw.span, this.prevSpan()) };
  }

  private parseGateParam(what: string): GateParam {
    const name = this.ident(what);
    this.expect(':', `\`:\` and a shape after \`${name.text}\``);
    const type = this.parseType();
    return { name: name.text, nameSpan: name.span, type, span: joinSpans(name.span, type.span) };
  }

  private parseBackward(): BackwardBlock {
    const kw = this.next();
    this.expect('{', '`{` after `backward`');
    const body: Assign[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.tok.kind === 'eof') {
        this.sink.error('syntax', '`backward` block is not closed: expected `}`', kw.span);
        break;
      }
      if (this.accept('}')) break;
      this.parseBlockStatement(body, 'backward block');
    }
    return { body, keywordSpan: kw.span, span: joinSpans(kw.span, this.prevSpan()) };
  }

  private parseBlockStatement(into: Assign[], where: string): void {
    const start = this.pos;
    this.operators = 0;
    try {
      if (this.tok.kind === 'ident' && this.peek().text === '=') into.push(this.parseAssign());
      else if (this.tok.kind === 'keyword' && this.tok.text !== 'true' && this.tok.text !== 'false') {
        throw new ParseError(`\`${this.tok.text}\` is not allowed in a ${where}: only \`name = expression\` lines`, this.tok.span);
      } else throw this.errorHere(`expected \`name = expression\` in the ${where}`);
      this.endStatement();
    } catch (e) {
      this.report(e);
      this.recover(true);
    }
    if (this.pos === start) this.next();
  }

  // ---------------------------------------------------------------- expressions

  parseExpr(): Expr {
    this.enter(this.tok.span);
    try {
      return this.parseComparison();
    } finally {
      this.depth--;
    }
  }

  private parseComparison(): Expr {
    const left = this.parseAdditive();
    if (this.tok.kind === 'op' && COMPARISON_OPS.has(this.tok.text)) {
      const op = this.next();
      const right = this.parseAdditive();
      if (this.tok.kind === 'op' && COMPARISON_OPS.has(this.tok.text)) {
        throw new ParseError('comparisons cannot be chained; use parentheses', this.tok.span);
      }
      return this.binary(op, left, right);
    }
    return left;
  }

  /** Guards recursion: deeper input gets a diagnostic instead of a stack overflow. */
  private enter(at: Span): void {
    if (this.depth >= MAX_NESTING) throw new ParseError(`expression nested more than ${MAX_NESTING} levels deep; split it into several statements`, at);
    this.depth++;
  }

  private binary(op: Token, left: Expr, right: Expr): Expr {
    // Long operator chains build deep trees that later passes walk recursively: bound them too.
    if (++this.operators > MAX_OPERATORS) {
      throw new ParseError(`more than ${MAX_OPERATORS} operators in one statement; split it into several statements`, op.span);
    }
    return { kind: 'binary', op: op.text as BinaryOp, left, right, opSpan: op.span, span: joinSpans(left.span, right.span) };
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    while (this.tok.kind === 'op' && (this.tok.text === '+' || this.tok.text === '-')) {
      const op = this.next();
      left = this.binary(op, left, this.parseMultiplicative());
    }
    return left;
  }

  private parseMultiplicative(): Expr {
    let left = this.parseMatmul();
    while (this.tok.kind === 'op' && (this.tok.text === '*' || this.tok.text === '/')) {
      const op = this.next();
      left = this.binary(op, left, this.parseMatmul());
    }
    return left;
  }

  private parseMatmul(): Expr {
    let left = this.parseUnary();
    while (this.tok.kind === 'op' && this.tok.text === '@') {
      const op = this.next();
      left = this.binary(op, left, this.parseUnary());
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.tok.kind === 'op' && this.tok.text === '-') {
      const minus = this.next();
      this.enter(minus.span);
      try {
        const operand = this.parseUnary();
        return { kind: 'unary', op: '-', operand, span: joinSpans(minus.span, operand.span) };
      } finally {
        this.depth--;
      }
    }
    if (this.tok.kind === 'op' && this.tok.text === '+') throw new ParseError('unary `+` is not supported; remove it', this.tok.span);
    return this.parsePower();
  }

  private parsePower(): Expr {
    const base = this.parsePostfix();
    if (this.tok.kind === 'op' && this.tok.text === '**') {
      const op = this.next();
      return this.binary(op, base, this.parseUnary());
    }
    return base;
  }

  private parsePostfix(): Expr {
    let e = this.parsePrimary();
    for (;;) {
      if (this.is('.')) {
        const dot = this.next();
        if (this.tok.kind === 'ident' && this.tok.text === 'T') {
          const t = this.next();
          const opSpan = joinSpans(dot.span, t.span);
          e = { kind: 'transpose', operand: e, opSpan, span: joinSpans(e.span, t.span) };
          continue;
        }
        throw new ParseError(
          this.tok.kind === 'ident' ? `\`.${this.tok.text}\` is not supported: the only attribute is \`.T\` (transpose)` : 'expected `T` after `.` (transpose is `.T`)',
          this.tok.kind === 'ident' ? joinSpans(dot.span, this.tok.span) : dot.span,
        );
      }
      if (this.is('[')) {
        e = this.parseIndex(e);
        continue;
      }
      return e;
    }
  }

  private parseIndex(operand: Expr): Expr {
    this.expect('[');
    const items: IndexItem[] = [];
    do {
      const start = this.tok.span;
      const first = this.is(':') ? null : this.parseIndexInt();
      if (this.accept(':')) {
        const stop = this.is(',') || this.is(']') ? null : this.parseIndexInt();
        items.push({ kind: 'slice', start: first, stop, span: joinSpans(start, this.prevSpan()) });
      } else {
        items.push({ kind: 'at', value: first as number, span: joinSpans(start, this.prevSpan()) });
      }
    } while (this.accept(','));
    this.expect(']', '`]` or `,`');
    return { kind: 'index', operand, items, span: joinSpans(operand.span, this.prevSpan()) };
  }

  private parseIndexInt(): number {
    let sign = 1;
    if (this.tok.kind === 'op' && this.tok.text === '-') {
      this.next();
      sign = -1;
    }
    const t = this.tok;
    if (t.kind !== 'number' || !Number.isInteger(t.value)) throw this.errorHere('indices are integer literals, e.g. `x[0]`, `x[-1]`, `x[1:3]`');
    this.next();
    return sign * (t.value as number);
  }

  private parsePrimary(): Expr {
    const t = this.tok;
    if (t.kind === 'number') {
      this.next();
      return { kind: 'num', value: t.value as number, text: t.text, span: t.span };
    }
    if (t.kind === 'keyword' && (t.text === 'true' || t.text === 'false')) {
      this.next();
      return { kind: 'bool', value: t.text === 'true', span: t.span };
    }
    if (t.kind === 'ident') {
      this.next();
      if (this.is('(')) return this.parseCall(t);
      return { kind: 'name', name: t.text, span: t.span };
    }
    if (this.is('(')) {
      const open = this.next();
      if (this.is(')')) throw new ParseError('empty parentheses: expected an expression', joinSpans(open.span, this.tok.span));
      const inner = this.parseExpr();
      const close = this.expect(')', '`)`');
      // Keep the parentheses in the span so ranges cover what the user sees.
      return { ...inner, span: joinSpans(open.span, close.span) } as Expr;
    }
    if (this.is('[')) {
      const open = this.next();
      const items: Expr[] = [];
      if (!this.is(']')) {
        do {
          if (this.is(']')) break; // trailing comma
          items.push(this.parseExpr());
        } while (this.accept(','));
      }
      const close = this.expect(']', '`]` or `,`');
      return { kind: 'list', items, span: joinSpans(open.span, close.span) };
    }
    if (t.kind === 'keyword') throw new ParseError(`expected an expression, found the keyword \`${t.text}\``, t.span);
    throw this.errorHere('expected an expression');
  }

  private parseCall(callee: Token): Call {
    const { args, kwargs } = this.parseArgs();
    return { kind: 'call', callee: callee.text, calleeSpan: callee.span, args, kwargs, span: joinSpans(callee.span, this.prevSpan()) };
  }

  private parseArgs(): { args: Expr[]; kwargs: KwArg[] } {
    this.expect('(');
    const args: Expr[] = [];
    const kwargs: KwArg[] = [];
    if (!this.is(')')) {
      do {
        if (this.is(')')) break; // trailing comma
        if (this.tok.kind === 'ident' && this.peek().kind === 'punct' && this.peek().text === '=') {
          const name = this.next();
          this.next();
          const value = this.parseExpr();
          kwargs.push({ name: name.text, nameSpan: name.span, value, span: joinSpans(name.span, value.span) });
        } else {
          if (kwargs.length > 0) throw new ParseError('a positional argument cannot follow a keyword argument', this.tok.span);
          args.push(this.parseExpr());
        }
      } while (this.accept(','));
    }
    this.expect(')', '`)` or `,`');
    return { args, kwargs };
  }
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the file';
  if (t.kind === 'newline') return 'the end of the line';
  return `\`${t.text}\``;
}

/** For errors at a line end, point at the end of the last token rather than the next line. */
function lastCharSpan(prev: Span, t: Token): Span {
  if (t.kind === 'eof') return { start: prev.end, end: prev.end };
  return { start: prev.end, end: prev.end };
}
