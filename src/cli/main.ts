// `gradlens` command line: a thin front on src/core.
import { analyze, gemmArithmetic, limitText } from '../core';
import { parseArgs, TIMEOUT_RANGE, USAGE } from './args';
import { nodeMemoryProbe } from '../server/analysis/memoryProbe';
import { runExport } from './export';
import { runFmt } from './fmt';
import { formatHuman, terminalSafe, toSpecJson } from './format';
import type { Io } from './io';
import { readBounded } from './readBounded';

export type { Io } from './io';
export { readBounded } from './readBounded';

declare const GRADLENS_VERSION: string;


export function main(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): number {
  const args = parseArgs(argv);
  if (args.command === 'help') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (args.command === 'version') {
    // The arithmetic of the matrix products decides their last bits (see core/tensor/matmul.ts).
    io.out(`${typeof GRADLENS_VERSION === 'string' ? GRADLENS_VERSION : 'dev'}\nmatrix products: ${gemmArithmetic()} multiply-adds\n`);
    return 0;
  }
  if (args.command === 'lsp') {
    // Long-running: the server keeps the process alive until its client says exit. Loaded only
    // here, so that `gradlens check` does not pay for evaluating the server at start-up.
    void import('../server/stdio').then((m) => m.runStdioServer());
    return 0;
  }
  if (args.command === 'dap') {
    // Long-running: the adapter keeps the process alive until its client disconnects (loaded only here).
    void import('../debug/stdio').then((m) => m.runStdioAdapter());
    return 0;
  }
  if (args.command === 'error') {
    io.err(`gradlens: ${args.message}\nRun \`gradlens --help\` for usage.\n`);
    return 2;
  }
  if (args.command === 'fmt') return runFmt(args, io);
  for (const w of args.warnings ?? []) io.err(`gradlens: ${w}\n`);
  const text = readSource(args.file, io);
  if (text === null) return 2;
  if (args.command === 'export') return runExport(args, text, io);
  const gradcheck = {
    ...(args.h !== undefined ? { h: args.h } : {}),
    ...(args.samples !== undefined ? { samples: args.samples } : {}),
    ...(args.checkFlops !== undefined ? { maxFlopsTotal: args.checkFlops } : {}),
    ...(args.fast !== undefined ? { fast: args.fast } : {}),
  };
  // The run stops between steps past the deadline (every long loop asks), and past its memory
  // budget (what the process really holds in tensors, measured: a `too-large` error).
  const timeout = args.timeout ?? TIMEOUT_RANGE.default;
  const deadline = performance.now() + timeout * 1000;
  const analysis = analyze(text, {
    fileName: args.file,
    seed: args.seed,
    dims: args.dims,
    maxElements: args.maxElements,
    gradcheck,
    memory: nodeMemoryProbe(),
    isCancelled: () => performance.now() > deadline,
  });
  if (analysis.cancelled) {
    io.err(`gradlens: ${terminalSafe(args.file)}: stopped after ${limitText(timeout)} s (--timeout); lower the dimension sizes, or raise --timeout\n`);
    return 2;
  }
  if (args.json) io.out(`${JSON.stringify(toSpecJson(analysis))}\n`);
  else io.out(`${formatHuman(analysis, args.file)}\n`);
  return analysis.diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
}

/** The file's text, or null after printing one clear line about why it cannot be read. */
function readSource(file: string, io: Io): string | null {
  try {
    return readBounded(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    io.err(`gradlens: cannot read ${terminalSafe(file)}: ${why}\n`);
    return null;
  }
}
