// Recursive-descent parser with statement-level error recovery: a syntax error skips the rest of
// its statement only, so one typo yields one diagnostic and the rest of the file still analyses.
// This file reads statements (declarations, assignments, gates, expect lines); the expression
// grammar is parseExpr.ts and the token cursor under both parseCursor.ts.
import { CORE_DEFAULTS, limitText } from '../defaults';
import { DiagnosticSink, type SpanDiagnostic } from '../diagnostics';
import { joinSpans } from '../text';
import type {
  Assign,
  BackwardBlock,
  DimRef,
  DimsDecl,
  Expect,
  Expr,
  GateDecl,
  GateParam,
  Init,
  IntRange,
  KwArg,
  Program,
  SeedDecl,
  Statement,
  TensorDecl,
  TypeAnn,
} from './ast';
import { lex, Lexer } from './lexer';
import { arraySource, describe, ParseError } from './parseCursor';
import { ExpressionParser } from './parseExpr';
import type { Token } from './tokens';

export { MAX_NESTING, MAX_OPERATORS } from './parseExpr';

/**
 * Parses while lexing: each token is read as the parser needs it. The diagnostics come out as if
 * `lex` ran first (the lexer's, for the whole text, then the parser's), so the sink's order, its
 * duplicates and its limit are the same as `parseTokens(lex(text, sink), sink)`.
 */
export function parse(text: string, sink: DiagnosticSink): Program {
  // With the sink's limit: a file of garbage (3 million bad characters) would otherwise keep a
  // diagnostic for each until the end (a minute, and gigabytes of them).
  const lexed = new DiagnosticSink(sink.limit);
  const parsed = new DiagnosticSink(sink.limit);
  const lexer = new Lexer(text, lexed);
  try {
    return new Parser(() => lexer.next(), parsed).parseProgram();
  } finally {
    lexer.finish();
    sink.absorb(lexed);
    sink.absorb(parsed);
  }
}

/** Parses tokens already produced by `lex` (for callers that need both, e.g. the IDE features). */
export function parseTokens(tokens: Token[], sink: DiagnosticSink): Program {
  return new Parser(arraySource(tokens), sink).parseProgram();
}

/**
 * A parse that a later one can resume (the IDE's documents, rebuilt after each keystroke): the
 * parser's own diagnostics, and its state before each top-level statement, four numbers per
 * statement (token index, statements so far, diagnostics so far, statements counted against the
 * cap). The parser's decisions before a checkpoint read no token past the checkpoint's own, so a
 * text whose tokens up to that one are the same resumes there and parses only the rest.
 */
export interface ResumableParse {
  program: Program;
  errors: SpanDiagnostic[];
  checkpoints: number[];
}

/**
 * Parses `tokens`, reusing `base` (a parse of other tokens) up to its last checkpoint whose token
 * is before `unchanged` (`tokens[0..unchanged)` are the very tokens `base` read, same objects).
 * The result is what parsing `tokens` whole gives: statements before the checkpoint are shared.
 */
export function parseTokensResumable(tokens: Token[], base: ResumableParse | null = null, unchanged = 0): ResumableParse {
  // Bounded as every sink is (a file of garbage would keep an error per token).
  const sink = new DiagnosticSink(CORE_DEFAULTS.maxDiagnostics);
  let checkpoints: number[] = [];
  const parser = new Parser(arraySource(tokens), sink);
  let statements: Statement[] = [];
  if (base && unchanged > 0) {
    const cps = base.checkpoints;
    let at = -1; // the last checkpoint whose token is unchanged
    for (let lo = 0, hi = cps.length / 4 - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if (cps[4 * mid] < unchanged) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at >= 0) {
      const [pos, stmts, errs, counted] = cps.slice(4 * at, 4 * at + 4);
      statements = base.program.statements.slice(0, stmts);
      for (let i = 0; i < errs; i++) sink.add(base.errors[i]);
      checkpoints = cps.slice(0, 4 * at);
      parser.resume(tokens, pos, counted);
    }
  }
  parser.checkpoints = checkpoints;
  return { program: parser.parseProgram(statements), errors: sink.items, checkpoints };
}

/**
 * One expression on its own (a debugger's watch or condition): the statement grammar's expression,
 * then the end of the text. Errors go to the sink; null when nothing usable was parsed.
 */
export function parseExpression(text: string, sink: DiagnosticSink): Expr | null {
  return new Parser(arraySource(lex(text, sink)), sink).parseLoneExpression();
}

class Parser extends ExpressionParser {
  // ---------------------------------------------------------------- statements

  /** Where `parseTokensResumable` records its checkpoints (null: none recorded). */
  checkpoints: number[] | null = null;

  resume(tokens: Token[], pos: number, counted: number): void {
    this.resumeAt(tokens, pos);
    this.counted = counted;
  }

  parseProgram(statements: Statement[] = []): Program {
    for (;;) {
      if (this.checkpoints && !this.stopped) this.checkpoints.push(this.pos, statements.length, this.sink.items.length, this.counted);
      this.skipNewlines();
      if (this.tok.kind === 'eof') break;
      if (this.is('}')) {
        this.sink.error('syntax', 'unexpected `}` with no open gate or backward block', this.tok.span);
        this.next();
        continue;
      }
      if (this.stopped || this.counted >= CORE_DEFAULTS.maxStatements) {
        this.stopHere();
        break;
      }
      const start = this.pos;
      this.counted++;
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

  /** Statements parsed so far, the lines of gate bodies and backward blocks included. */
  private counted = 0;
  /** Set once the statement cap is reached (reported once, where parsing stopped). */
  private stopped = false;

  /**
   * Bounded work per file: everything past the statement cap would be parsed, analysed and shipped
   * to the editor. The lines of gates count too (a gate of 10^5 lines is as much work).
   */
  private stopHere(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sink.error(
      'too-large',
      `this file has more than ${limitText(CORE_DEFAULTS.maxStatements)} statements (the lines of gate bodies and backward blocks included); GradLens analyses the first ${limitText(CORE_DEFAULTS.maxStatements)} and stops here. Split the file, or move repeated layers into a gate`,
      this.tok.span,
    );
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
      if (this.stopped) break;
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
      if (this.stopped) break;
      this.parseBlockStatement(body, 'backward block');
    }
    return { body, keywordSpan: kw.span, span: joinSpans(kw.span, this.prevSpan()) };
  }

  private parseBlockStatement(into: Assign[], where: string): void {
    if (this.counted >= CORE_DEFAULTS.maxStatements) return this.stopHere();
    this.counted++;
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
}
