// Python expressions as text with their precedence, so translated code gets only the parentheses
// Python needs, and number/array literals that read back as the exact same float64.

/** Python binding strength, loosest first (the levels the exporters emit). */
export const PREC = { CMP: 1, ADD: 2, MUL: 3, UNARY: 4, POW: 5, POSTFIX: 6, ATOM: 7 } as const;

/**
 * What a Python expression evaluates to: a tensor (torch.Tensor / np.ndarray), a plain Python
 * number (a literal or a dimension), or a boolean mask from a comparison.
 */
export type PyKind = 'tensor' | 'number' | 'bool';

export interface Py {
  code: string;
  prec: number;
  kind: PyKind;
}

export function py(code: string, prec: number = PREC.ATOM, kind: PyKind = 'tensor'): Py {
  return { code, prec, kind };
}

/** The code of `e`, parenthesised when it binds looser than `min`. */
export function wrap(e: Py, min: number): string {
  return e.prec < min ? `(${e.code})` : e.code;
}

/** A call `f(a, b, key=value)`; arguments are full expressions, so they need no parentheses. */
export function call(fn: string, args: (Py | string)[], kind: PyKind = 'tensor'): Py {
  return py(`${fn}(${args.map((a) => (typeof a === 'string' ? a : a.code)).join(', ')})`, PREC.POSTFIX, kind);
}

/** A method call `x.f(args)`. */
export function method(x: Py, fn: string, args: (Py | string)[] = [], kind: PyKind = 'tensor'): Py {
  return py(`${wrap(x, PREC.POSTFIX)}.${fn}(${args.map((a) => (typeof a === 'string' ? a : a.code)).join(', ')})`, PREC.POSTFIX, kind);
}

/** A left-associative binary operator at `prec`. */
export function binary(a: Py, op: string, b: Py, prec: number, kind: PyKind): Py {
  return py(`${wrap(a, prec)} ${op} ${wrap(b, prec + 1)}`, prec, kind);
}

/**
 * A float literal that Python reads back as exactly this float64: JavaScript's shortest
 * round-trip text (String(x)) is also valid Python, with `.0` added to integers.
 */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'float("nan")';
  if (v === Infinity) return 'float("inf")';
  if (v === -Infinity) return '-float("inf")';
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** An integer literal (labels, sizes). */
export function pyInt(v: number): string {
  return Number.isInteger(v) ? String(v) : pyFloat(v);
}

/** Python string literal (JSON's escaping is valid Python for the names we print). */
export function pyString(s: string): string {
  return `"${pyEscape(s)}"`;
}

/**
 * The one escaping of text that reaches generated Python: file names, paths, names and comments
 * (a file named `net\"\"\"; print("x"); \"\"\".grad` must not end a docstring and run code).
 * `string`: inside a "…" or \"\"\"…\"\"\" literal — backslashes and quotes escaped, and every character
 * that is not printable (controls, NUL, line and paragraph separators, bidirectional controls that
 * reorder what an editor shows, lone surrogates) as a \\x, \\u or \\U escape; printable non-ASCII
 * stays (the script is UTF-8). `comment`: after a `#` — only the non-printable characters, shown
 * the same way, so a comment can neither end its line nor hide code.
 */
export function pyEscape(text: string, where: 'string' | 'comment' = 'string'): string {
  return text.replace(where === 'string' ? UNSAFE_IN_STRING : UNSAFE_IN_COMMENT, (c) => {
    if (c === '\\' || c === '"' || c === "'") return `\\${c}`;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Controls (C0, DEL, C1), line and paragraph separators, bidirectional controls, BOM; lone surrogates. */
const NON_PRINTABLE = String.raw`[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]`;
const UNSAFE_IN_STRING = new RegExp(String.raw`[\\"']|${NON_PRINTABLE}`, 'g');
const UNSAFE_IN_COMMENT = new RegExp(NON_PRINTABLE, 'g');

/** A tuple literal: `(a,)` for one item. */
export function pyTuple(items: string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

const LINE_WIDTH = 96;

/**
 * A nested list literal of a row-major array: one row per line for matrices, lines wrapped at
 * about 96 characters, `indent` the indentation of the line the literal starts on.
 */
export function nestedList(data: ArrayLike<number>, shape: readonly number[], format: (v: number) => string, indent: string): string {
  if (shape.length === 0) return format(data[0]);
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  const level = (axis: number, offset: number, pad: string): string => {
    const n = shape[axis];
    if (axis === shape.length - 1) {
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(format(data[offset + i]));
      return wrapItems(items, pad);
    }
    const inner = `${pad}    `;
    const rows: string[] = [];
    for (let i = 0; i < n; i++) rows.push(`${inner}${level(axis + 1, offset + i * strides[axis], inner)},`);
    return `[\n${rows.join('\n')}\n${pad}]`;
  };
  return level(0, 0, indent);
}

/** `[a, b, c]`, broken over several lines when long. */
function wrapItems(items: string[], pad: string): string {
  const flat = `[${items.join(', ')}]`;
  if (flat.length + pad.length <= LINE_WIDTH) return flat;
  const inner = `${pad}    `;
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    const next = line ? `${line} ${it},` : `${it},`;
    if (line && inner.length + next.length > LINE_WIDTH) {
      lines.push(`${inner}${line}`);
      line = `${it},`;
    } else line = next;
  }
  if (line) lines.push(`${inner}${line}`);
  return `[\n${lines.join('\n')}\n${pad}]`;
}
