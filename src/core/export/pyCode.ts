// Python source as lines: indentation, blank lines, and trailing comments lined up within a run of
// consecutive lines, the way the .grad examples align theirs. Every comment goes through pyEscape:
// text from the .grad file cannot end its line or hide code.
import { pyEscape } from './pyExpr';

interface Pending {
  code: string;
  comment: string | null;
}

const ALIGN_LIMIT = 56;

export class PyCode {
  private readonly out: string[] = [];
  private pending: Pending[] = [];
  private depth = 0;

  private get pad(): string {
    return '    '.repeat(this.depth);
  }

  /** A line of code (may span several lines, e.g. a matrix literal), with an optional `# …`. */
  line(code: string, comment: string | null = null): this {
    this.pending.push({ code: code.split('\n').map((l, i) => (i === 0 ? this.pad + l : l)).join('\n'), comment: comment === null ? null : pyEscape(comment, 'comment') });
    return this;
  }

  /** Full-line comments (each starting with `#`; '' for an empty comment line). */
  comments(lines: readonly string[]): this {
    this.flush();
    for (const l of lines) this.out.push(l === '' ? `${this.pad}#` : `${this.pad}${pyEscape(l, 'comment')}`);
    return this;
  }

  blank(count = 1): this {
    this.flush();
    // Never more blank lines in a row than asked for.
    let have = 0;
    for (let i = this.out.length - 1; i >= 0 && this.out[i] === ''; i--) have++;
    for (let i = have; i < count; i++) this.out.push('');
    return this;
  }

  /** Lines written by `body` are indented one level. */
  indent(body: () => void): this {
    this.flush();
    this.depth++;
    body();
    this.flush();
    this.depth--;
    return this;
  }

  /** Verbatim lines (a helper function's source), indented to the current level. */
  raw(text: string): this {
    this.flush();
    for (const l of text.replace(/\n$/, '').split('\n')) this.out.push(l === '' ? '' : this.pad + l);
    return this;
  }

  toString(): string {
    this.flush();
    while (this.out.length && this.out[this.out.length - 1] === '') this.out.pop();
    return `${this.out.join('\n')}\n`;
  }

  private flush(): void {
    const single = this.pending.filter((p) => p.comment !== null && !p.code.includes('\n'));
    const width = Math.max(0, ...single.map((p) => p.code.length));
    const align = single.length > 1 && width <= ALIGN_LIMIT;
    for (const p of this.pending) {
      if (p.comment === null) this.out.push(p.code);
      else if (align && !p.code.includes('\n')) this.out.push(`${p.code.padEnd(width)}  ${p.comment}`);
      else this.out.push(`${p.code}  ${p.comment}`);
    }
    this.pending = [];
  }
}

/**
 * Imports a script cannot run without, guarded: when the interpreter running the script lacks the
 * package, the script stops with one line saying which package and how to install it for this very
 * interpreter (not a traceback). `sys` must be imported before.
 */
export function requiredImports(out: PyCode, imports: readonly string[], pkg: { name: string; pip: string }): PyCode {
  out.line('try:');
  out.indent(() => {
    for (const i of imports) out.line(i);
  });
  out.line('except ImportError:');
  out.indent(() => {
    out.line(`sys.exit(f"this script needs ${pkg.name}, which {sys.executable} cannot import; install it with: {sys.executable} -m pip install ${pkg.pip}")`);
  });
  return out;
}
