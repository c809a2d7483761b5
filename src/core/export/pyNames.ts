// Python-safe names for .grad names. A .grad name may be a Python keyword (`lambda`), shadow a
// builtin the script calls (`sum`, `print`), or collide with a module or helper the script
// defines (`F`, `np`, `softmax_ce`); such names get a trailing underscore, everything else is kept
// so the script reads like the .grad file.

const PY_KEYWORDS = [
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield',
];

/** Builtins a generated script calls, or that would confuse a reader when shadowed. */
const PY_BUILTINS = [
  'abs', 'all', 'any', 'bool', 'callable', 'dict', 'enumerate', 'exit', 'filter', 'float', 'format', 'getattr', 'globals', 'hasattr',
  'hash', 'id', 'input', 'int', 'isinstance', 'iter', 'len', 'list', 'locals', 'map', 'max', 'min', 'next', 'object', 'open', 'print',
  'quit', 'range', 'repr', 'reversed', 'round', 'set', 'setattr', 'slice', 'sorted', 'staticmethod', 'str', 'sum', 'super', 'tuple',
  'type', 'vars', 'zip',
];

/** Names every script may define or import. */
const SCRIPT_NAMES = ['torch', 'F', 'np', 'json', 'sys', 'math', 'Path', 'ctx', 'cache'];

export const PYTHON_RESERVED: readonly string[] = [...PY_KEYWORDS, ...PY_BUILTINS, ...SCRIPT_NAMES];

/** One scope's mapping from .grad names to Python names. */
export class PyNames {
  private readonly reserved: Set<string>;
  private readonly map = new Map<string, string>();
  private readonly taken = new Set<string>();

  /**
   * @param reserved names the script itself uses in this scope
   * @param userNames every .grad name of the scope, so a renamed `x_` cannot collide with a user's `x_`
   */
  constructor(
    reserved: Iterable<string>,
    private readonly userNames: ReadonlySet<string>,
  ) {
    this.reserved = new Set(reserved);
  }

  get(name: string): string {
    const known = this.map.get(name);
    if (known !== undefined) return known;
    let out = name;
    if (this.reserved.has(out)) {
      do out = `${out}_`;
      while (this.reserved.has(out) || this.userNames.has(out) || this.taken.has(out));
    }
    this.map.set(name, out);
    this.taken.add(out);
    return out;
  }

  /** The .grad names that had to change, with their Python names. */
  renamed(): [string, string][] {
    return [...this.map].filter(([a, b]) => a !== b);
  }

  /** A scope inside this one (a gate's function body): same reserved names, its own .grad names. */
  child(userNames: ReadonlySet<string>, extraReserved: Iterable<string> = []): PyNames {
    return new PyNames([...this.reserved, ...extraReserved], userNames);
  }

  /** A name for something the script introduces, unique among the reserved and user names. */
  fresh(base: string): string {
    let out = base;
    while (this.reserved.has(out) || this.userNames.has(out) || this.taken.has(out)) out = `${out}_`;
    this.taken.add(out);
    this.reserved.add(out);
    return out;
  }
}
