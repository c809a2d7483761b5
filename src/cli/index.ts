// Entry of the CLI bundle.
import { enableRelaxedSimd } from '../core';
import { main } from './main';

// Before the first product: Node 20 has relaxed SIMD (the fused kernel) only behind a flag. Only
// here, in a process GradLens owns (check, lsp --stdio, dap): the workers in an editor's extension
// host leave that shared process's V8 flags alone.
enableRelaxedSimd();
process.exitCode = main(process.argv.slice(2));
