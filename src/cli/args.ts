// Command-line parsing for `gradlens`. Returns a usage error as data instead of exiting.

export interface CheckArgs {
  command: 'check';
  file: string;
  json: boolean;
  seed?: number;
  dims: Record<string, number>;
  h?: number;
  samples?: number;
  maxElements?: number;
}

export type ParsedArgs = CheckArgs | { command: 'help' } | { command: 'version' } | { command: 'error'; message: string };

export const USAGE = `Usage: gradlens check FILE.grad [options]

Analyses a .grad file: parses it, infers shapes, runs the forward and backward
passes, checks gradients and prints what it found.

Options:
  --json              print one JSON object (spec section 8) instead of tables
  --seed N            override the file's seed
  --dim NAME=SIZE     override a dimension size (repeatable)
  --h STEP            finite-difference step for gradient checks (default 1e-5)
  --samples K         entries sampled per large tensor in gradient checks
  --max-elements N    limit on tensor elements per run (default 50000000)
  -h, --help          show this help
  --version           print the version

Exit status: 0 no errors, 1 an error was reported (parse, shape, failed
gradient check, failed expect), 2 bad usage or unreadable file.`;

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
  if (cmd !== 'check') return { command: 'error', message: `unknown command \`${cmd}\` (expected \`check\`)` };
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
