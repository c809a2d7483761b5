// Command-line parsing for `gradlens`. Returns a usage error as data instead of exiting.

export interface CheckArgs {
  command: 'check';
  file: string;
  json: boolean;
  seed?: number;
  dims: Record<string, number>;
  h?: number;
  samples?: number;
  /** Operations the param/input checks of the run may spend together. */
  checkFlops?: number;
  maxElements?: number;
}

export interface ExportArgs {
  command: 'export';
  target: 'torch' | 'numpy';
  file: string;
  /** -o: the script's path (or a directory for the default name); default: the current directory. */
  out?: string;
  seed?: number;
  dims: Record<string, number>;
}

export interface FmtArgs {
  command: 'fmt';
  /** Only report the files that would change. */
  check: boolean;
  /** Files and directories (searched for .grad files). */
  files: string[];
}

export type ParsedArgs = CheckArgs | ExportArgs | FmtArgs | { command: 'help' } | { command: 'version' } | { command: 'error'; message: string };

export const USAGE = `Usage: gradlens check FILE.grad [options]
       gradlens export --torch FILE.grad [-o OUT.py] [--seed N] [--dim NAME=SIZE ...]
       gradlens export --numpy FILE.grad [-o OUT.py] [--seed N] [--dim NAME=SIZE ...]
       gradlens fmt [--check] FILE.grad|DIR ...

check analyses a .grad file: parses it, infers shapes, runs the forward and
backward passes, checks gradients and prints what it found.

export writes a runnable Python script of the network with the values GradLens
used: --torch a PyTorch script (each hand-written backward as an
autograd.Function, checked with torch.autograd.gradcheck), --numpy a cs231n-style
NumPy script (<gate>_forward / <gate>_backward with numeric gradient checks).
By default it writes <name>_torch.py or <name>_numpy.py into the current
directory (large tensors go to a .npz beside it) and prints the paths written.

fmt rewrites .grad files (directories are searched) in the canonical layout —
whitespace only, never a token — and prints the files it changed; --check
writes nothing and prints the files that would change. A file with syntax
errors is reported and left alone.

Options:
  --json              print one JSON object (spec section 8) instead of tables
  --seed N            override the file's seed
  --dim NAME=SIZE     override a dimension size (repeatable)
  --h STEP            finite-difference step for gradient checks (default 1e-5)
  --samples K         entries sampled per large tensor in gradient checks
  --check-flops N     operations the checks of params and inputs may spend
                      together (default 2e9); past it fewer entries are
                      checked, and tensors too costly for even one are named
  --max-elements N    limit on tensor elements per run (default 50000000)
  -o, --output PATH   export: the script to write (a directory: the default
                      name inside it)
  --check             fmt: write nothing, list the files that would change
  -h, --help          show this help
  --version           print the version

Exit status: 0 no errors, 1 an error was reported (parse, shape, failed
gradient check, failed expect; for export: the file has errors or cannot be
exported; for fmt: a file would change with --check, or has syntax errors),
2 bad usage, unreadable file or unwritable output.`;

function intArg(name: string, v: string | undefined, min: number): number | string {
  if (v === undefined) return `${name} needs a value`;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) return `${name} expects an integer ≥ ${min}, got \`${v}\``;
  return n;
}

export function parseArgs(argv: string[]): ParsedArgs {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') return { command: 'help' };
  if (argv.includes('--version') || argv[0] === 'version') return { command: 'version' };
  const [cmd, ...rest] = argv;
  if (cmd === 'export') return parseExportArgs(rest);
  if (cmd === 'fmt') return parseFmtArgs(rest);
  if (cmd !== 'check') return { command: 'error', message: `unknown command \`${cmd}\` (expected \`check\`, \`export\` or \`fmt\`)` };
  const out: CheckArgs = { command: 'check', file: '', json: false, dims: {} };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') && !a.startsWith('--dim=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => (inline !== undefined ? inline : rest[++i]);
    switch (flag) {
      case '--json':
        out.json = true;
        break;
      case '--seed': {
        const n = intArg('--seed', value(), 0);
        if (typeof n === 'string') return { command: 'error', message: n };
        out.seed = n;
        break;
      }
      case '--samples': {
        const n = intArg('--samples', value(), 1);
        if (typeof n === 'string') return { command: 'error', message: n };
        out.samples = n;
        break;
      }
      case '--max-elements': {
        const n = intArg('--max-elements', value(), 1);
        if (typeof n === 'string') return { command: 'error', message: n };
        out.maxElements = n;
        break;
      }
      case '--check-flops': {
        const v = value();
        const n = Number(v);
        if (v === undefined || !(n >= 1)) return { command: 'error', message: `--check-flops expects a number of operations ≥ 1 (e.g. 1e10 or Infinity), got \`${v ?? ''}\`` };
        out.checkFlops = n;
        break;
      }
      case '--h': {
        const v = value();
        const n = Number(v);
        if (v === undefined || !(n > 0) || !Number.isFinite(n)) return { command: 'error', message: `--h expects a positive number, got \`${v ?? ''}\`` };
        out.h = n;
        break;
      }
      case '--dim':
      default: {
        if (flag === '--dim' || a.startsWith('--dim=')) {
          const v = a.startsWith('--dim=') ? a.slice(6) : rest[++i];
          const m = v === undefined ? null : /^([A-Za-z_]\w*)=(\d+)$/.exec(v);
          if (!m || Number(m[2]) < 1) return { command: 'error', message: `--dim expects NAME=SIZE with a positive size, got \`${v ?? ''}\`` };
          out.dims[m[1]] = Number(m[2]);
          break;
        }
        if (a.startsWith('-')) return { command: 'error', message: `unknown option \`${a}\`` };
        if (out.file) return { command: 'error', message: `only one file can be checked at a time (got \`${out.file}\` and \`${a}\`)` };
        out.file = a;
      }
    }
  }
  if (!out.file) return { command: 'error', message: 'missing FILE.grad' };
  return out;
}

function parseExportArgs(rest: string[]): ExportArgs | { command: 'error'; message: string } {
  let target: ExportArgs['target'] | null = null;
  const out: ExportArgs = { command: 'export', target: 'torch', file: '', dims: {} };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 && !a.startsWith('--dim=') ? a.slice(0, eq) : a;
    const value = () => (eq > 0 && !a.startsWith('--dim=') ? a.slice(eq + 1) : rest[++i]);
    if (flag === '--torch' || flag === '--numpy') {
      const t = flag === '--torch' ? 'torch' : 'numpy';
      if (target && target !== t) return { command: 'error', message: 'export takes one of --torch and --numpy, not both' };
      target = t;
    } else if (flag === '-o' || flag === '--output') {
      const v = value();
      if (!v) return { command: 'error', message: `${flag} needs a path` };
      out.out = v;
    } else if (flag === '--seed') {
      const n = intArg('--seed', value(), 0);
      if (typeof n === 'string') return { command: 'error', message: n };
      out.seed = n;
    } else if (flag === '--dim' || a.startsWith('--dim=')) {
      const v = a.startsWith('--dim=') ? a.slice(6) : rest[++i];
      const m = v === undefined ? null : /^([A-Za-z_]\w*)=(\d+)$/.exec(v);
      if (!m || Number(m[2]) < 1) return { command: 'error', message: `--dim expects NAME=SIZE with a positive size, got \`${v ?? ''}\`` };
      out.dims[m[1]] = Number(m[2]);
    } else if (a.startsWith('-')) {
      return { command: 'error', message: `unknown option \`${a}\` for export` };
    } else if (out.file) {
      return { command: 'error', message: `only one file can be exported at a time (got \`${out.file}\` and \`${a}\`)` };
    } else out.file = a;
  }
  if (!target) return { command: 'error', message: 'export needs --torch or --numpy' };
  if (!out.file) return { command: 'error', message: 'missing FILE.grad' };
  out.target = target;
  return out;
}

function parseFmtArgs(rest: string[]): FmtArgs | { command: 'error'; message: string } {
  const out: FmtArgs = { command: 'fmt', check: false, files: [] };
  for (const a of rest) {
    if (a === '--check') out.check = true;
    else if (a.startsWith('-')) return { command: 'error', message: `unknown option \`${a}\` for fmt` };
    else out.files.push(a);
  }
  if (!out.files.length) return { command: 'error', message: 'fmt needs at least one FILE.grad or directory' };
  return out;
}
