// Entry of the CLI bundle.
import { enableRelaxedSimd } from '../core';
import { main } from './main';

// Before the first product: Node 20 has relaxed SIMD (the fused kernel) only behind a flag.
enableRelaxedSimd();
process.exitCode = main(process.argv.slice(2));
