// Command-line parsing for `gradlens`. Returns a usage error as data instead of exiting. The
// numeric flags have the ranges of the matching settings (src/core/defaults.ts): below the minimum
// or not a number is a usage error; above the maximum the flag is lowered to it, with a warning.
import { limitText, NUMBER_SETTINGS, parseDimSize, SEED_RANGE } from '../core';

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
  /** --fast / --no-fast: gradient checks by projections vᵀJu (setting gradlens.gradientCheck.fast). */
  fast?: 'on' | 'off';
  maxElements?: number;
  /** Seconds the analysis may take before it is stopped (exit 2); default TIMEOUT_RANGE.default. */
  timeout?: number;
  /** One line each: flags lowered to their maximum. */
  warnings?: string[];
}

/** --timeout: seconds one `gradlens check` may take (the editor has gradlens.worker.timeoutSeconds). */
export const TIMEOUT_RANGE = { default: 60, minimum: 1, maximum: 86_400, integer: false } as const;

export interface ExportArgs {
  command: 'export';
  target: 'torch' | 'numpy';
  file: string;
  /** -o: the script's path (or a directory for the default name); default: the current directory. */
  out?: string;
  /** --force: replace existing files (never the input). */
  force?: boolean;
  seed?: number;
  dims: Record<string, number>;
  /** One line each: flags lowered to their maximum. */
  warnings?: string[];
}

export interface FmtArgs {
  command: 'fmt';
  /** Only report the files that would change. */
  check: boolean;
  /** Files and directories (searched for .grad files). */
  files: string[];
}

/** `gradlens lsp --stdio`: the language server over standard input and output. */
export interface LspArgs {
  command: 'lsp';
}

/** `gradlens dap`: the debug adapter over standard input and output. */
export interface DapArgs {
  command: 'dap';
}

export type ParsedArgs = CheckArgs | ExportArgs | LspArgs | DapArgs | FmtArgs | { command: 'help' } | { command: 'version' } | { command: 'error'; message: string };

const S = NUMBER_SETTINGS;

interface Range {
  minimum: number;
  maximum: number;
  integer: boolean;
}

function range(r: Range & { default: number }): string {
  return `${limitText(r.default)}; ${limitText(r.minimum)} to ${limitText(r.maximum)}`;
}

export const USAGE = `Usage: gradlens check FILE.grad [options]
       gradlens export --torch FILE.grad [-o OUT.py] [--force] [--seed N] [--dim NAME=SIZE ...]
       gradlens export --numpy FILE.grad [-o OUT.py] [--force] [--seed N] [--dim NAME=SIZE ...]
       gradlens lsp --stdio
       gradlens dap
       gradlens fmt [--check] FILE.grad|DIR ...

check analyses a .grad file: parses it, infers shapes, runs the forward and
backward passes, checks gradients and prints what it found.

export writes a runnable Python script of the network with the values GradLens
used: --torch a PyTorch script (each hand-written backward as an
autograd.Function, checked with torch.autograd.gradcheck), --numpy a cs231n-style
NumPy script (<gate>_forward / <gate>_backward with numeric gradient checks).
By default it writes <name>_torch.py or <name>_numpy.py into the current
directory (large tensors go to a .npz beside it) and prints the paths written.
It never writes over the .grad file, nor over an existing file unless --force.

lsp runs the GradLens language server over standard input and output, for
Neovim, Helix, Emacs and any other LSP client (see the README).

dap runs the GradLens debug adapter over standard input and output, for
nvim-dap and any other DAP client: launch with {"program": "FILE.grad"} and
step the forward pass, then the backward pass (see the README).

fmt rewrites .grad files (directories are searched) in the canonical layout —
whitespace only, never a token — and prints the files it changed; --check
writes nothing and prints the files that would change. A file with syntax
errors is reported and left alone.

Options:
  --json              print one JSON object instead of tables (its fields:
                      docs/language-reference.md, section 10)
  --seed N            override the file's seed
  --dim NAME=SIZE     override a dimension size (repeatable)
  --h STEP            finite-difference step for gradient checks
                      (default ${range(S['gradientCheck.h'])})
  --samples K         entries sampled per large tensor in gradient checks
                      (default ${range(S['gradientCheck.samples'])})
  --check-flops N     operations the checks of params and inputs may spend
                      together (default ${range(S['gradientCheck.maxFlops'])});
                      past it fewer entries are checked, and tensors too
                      costly for even one are named
  --fast              gradient checks in fast mode: one directional derivative
                      vᵀJu per tensor instead of every entry, a failing one
                      narrowed to its worst entries (default: only past the
                      sampling limit, on top of the sample); --no-fast: never
  --max-elements N    limit on tensor elements per run
                      (default ${range(S.maxElements)})
  --timeout SECONDS   stop the analysis after this long, with exit status 2
                      (default ${range(TIMEOUT_RANGE)})
  -o, --output PATH   export: the script to write (a directory: the default
                      name inside it)
  --force             export: replace existing files (never the input)
  --check             fmt: write nothing, list the files that would change
  -h, --help          show this help
  --version           print the version

Exit status: 0 no errors, 1 an error was reported (parse, shape, failed
gradient check, failed expect; for export: the file has errors or cannot be
exported; for fmt: a file would change with --check, or has syntax errors),
2 bad usage, unreadable file, unwritable output, or the analysis took longer
than --timeout.`;

/**
 * A numeric flag within its range: a usage error (a string) when missing, not a number, a fraction
 * where a whole number is expected, or below the minimum; above the maximum (Infinity included) the
 * maximum, with one warning line.
 */
function rangedArg(flag: string, v: string | undefined, r: Range, warnings: string[]): number | string {
  if (v === undefined) return `${flag} needs a value`;
  const n = v.trim() === '' ? Number.NaN : Number(v);
  if (Number.isNaN(n) || n < r.minimum || (r.integer && Number.isFinite(n) && !Number.isInteger(n))) {
    return `${flag} expects ${r.integer ? 'a whole number' : 'a number'} from ${limitText(r.minimum)} to ${limitText(r.maximum)}, got \`${v}\``;
  }
  if (n > r.maximum) {
    warnings.push(`${flag} ${v} is above its maximum; using ${limitText(r.maximum)}`);
    return r.maximum;
  }
  return n;
}

const SEED: Range = { ...SEED_RANGE, integer: true };

/** `--dim NAME=SIZE`: the pair, or a usage error saying what is wrong with it. */
function dimArg(v: string | undefined): [string, number] | string {
  const m = v === undefined ? null : /^([A-Za-z_]\w*)=(.*)$/.exec(v);
  if (!m) return `--dim expects NAME=SIZE, got \`${v ?? ''}\``;
  const size = parseDimSize(m[2]);
  return 'size' in size ? [m[1], size.size] : `--dim ${m[1]}: ${size.problem}`;
}

/** The setting each gradient-check and limit flag shares its range with. */
const CHECK_FLAGS = {
  '--samples': 'gradientCheck.samples',
  '--max-elements': 'maxElements',
  '--check-flops': 'gradientCheck.maxFlops',
  '--h': 'gradientCheck.h',
} as const;

export function parseArgs(argv: string[]): ParsedArgs {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') return { command: 'help' };
  if (argv.includes('--version') || argv[0] === 'version') return { command: 'version' };
  const [cmd, ...rest] = argv;
  if (cmd === 'export') return parseExportArgs(rest);
  if (cmd === 'fmt') return parseFmtArgs(rest);
  if (cmd === 'lsp') return parseLspArgs(rest);
  if (cmd === 'dap') return rest.length ? { command: 'error', message: `dap takes no arguments (the adapter speaks DAP over standard input and output; the program comes in the launch request), got \`${rest[0]}\`` } : { command: 'dap' };
  if (cmd !== 'check') return { command: 'error', message: `unknown command \`${cmd}\` (expected \`check\`, \`export\`, \`fmt\`, \`lsp\` or \`dap\`)` };
  const out: CheckArgs = { command: 'check', file: '', json: false, dims: {} };
  const warnings: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') && !a.startsWith('--dim=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => (inline !== undefined ? inline : rest[++i]);
    switch (flag) {
      case '--json':
        out.json = true;
        break;
      case '--fast':
      case '--no-fast':
        out.fast = flag === '--fast' ? 'on' : 'off';
        break;
      case '--seed':
      case '--samples':
      case '--max-elements':
      case '--check-flops':
      case '--h': {
        const r = flag === '--seed' ? SEED : S[CHECK_FLAGS[flag]];
        const n = rangedArg(flag, value(), r, warnings);
        if (typeof n === 'string') return { command: 'error', message: n };
        if (flag === '--seed') out.seed = n;
        else if (flag === '--samples') out.samples = n;
        else if (flag === '--max-elements') out.maxElements = n;
        else if (flag === '--check-flops') out.checkFlops = n;
        else out.h = n;
        break;
      }
      case '--timeout': {
        const n = rangedArg(flag, value(), TIMEOUT_RANGE, warnings);
        if (typeof n === 'string') return { command: 'error', message: n };
        out.timeout = n;
        break;
      }
      case '--dim':
      default: {
        if (flag === '--dim' || a.startsWith('--dim=')) {
          const d = dimArg(a.startsWith('--dim=') ? a.slice(6) : rest[++i]);
          if (typeof d === 'string') return { command: 'error', message: d };
          out.dims[d[0]] = d[1];
          break;
        }
        if (a.startsWith('-')) return { command: 'error', message: `unknown option \`${a}\`` };
        if (out.file) return { command: 'error', message: `only one file can be checked at a time (got \`${out.file}\` and \`${a}\`)` };
        out.file = a;
      }
    }
  }
  if (!out.file) return { command: 'error', message: 'missing FILE.grad' };
  if (warnings.length) out.warnings = warnings;
  return out;
}

function parseLspArgs(rest: string[]): LspArgs | { command: 'error'; message: string } {
  // Standard input and output is the one transport; --stdio is accepted because clients pass it.
  const unknown = rest.find((a) => a !== '--stdio');
  if (unknown !== undefined) return { command: 'error', message: `unknown option \`${unknown}\` for lsp (the server speaks LSP over standard input and output: \`gradlens lsp --stdio\`)` };
  return { command: 'lsp' };
}

function parseExportArgs(rest: string[]): ExportArgs | { command: 'error'; message: string } {
  let target: ExportArgs['target'] | null = null;
  const out: ExportArgs = { command: 'export', target: 'torch', file: '', dims: {} };
  const warnings: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 && !a.startsWith('--dim=') ? a.slice(0, eq) : a;
    const value = () => (eq > 0 && !a.startsWith('--dim=') ? a.slice(eq + 1) : rest[++i]);
    if (flag === '--torch' || flag === '--numpy') {
      const t = flag === '--torch' ? 'torch' : 'numpy';
      if (target && target !== t) return { command: 'error', message: 'export takes one of --torch and --numpy, not both' };
      target = t;
    } else if (flag === '--force') {
      out.force = true;
    } else if (flag === '-o' || flag === '--output') {
      const v = value();
      if (!v) return { command: 'error', message: `${flag} needs a path` };
      out.out = v;
    } else if (flag === '--seed') {
      const n = rangedArg('--seed', value(), SEED, warnings);
      if (typeof n === 'string') return { command: 'error', message: n };
      out.seed = n;
    } else if (flag === '--dim' || a.startsWith('--dim=')) {
      const d = dimArg(a.startsWith('--dim=') ? a.slice(6) : rest[++i]);
      if (typeof d === 'string') return { command: 'error', message: d };
      out.dims[d[0]] = d[1];
    } else if (a.startsWith('-')) {
      return { command: 'error', message: `unknown option \`${a}\` for export` };
    } else if (out.file) {
      return { command: 'error', message: `only one file can be exported at a time (got \`${out.file}\` and \`${a}\`)` };
    } else out.file = a;
  }
  if (!target) return { command: 'error', message: 'export needs --torch or --numpy' };
  if (!out.file) return { command: 'error', message: 'missing FILE.grad' };
  out.target = target;
  if (warnings.length) out.warnings = warnings;
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
