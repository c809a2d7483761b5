// WebAssembly relaxed SIMD: whether this runtime has it, how its multiply-add rounds, and turning
// it on where Node has it only behind a flag. matmul.ts runs the kernel's fused variant where
// relaxed_madd fuses (see the note at its top).
import { fromBase64, wasmApi } from './wasm/runtime';
import { RELAXED_WASM_BASE64 } from './wasm/relaxed.generated';

/** Whether this runtime has WebAssembly relaxed SIMD's f64x2.relaxed_madd, and how it rounds. */
export type RelaxedMadd = 'absent' | 'fused' | 'unfused';

let relaxed: RelaxedMadd | undefined;

/**
 * Probes relaxed SIMD (once, when asked; wasm/relaxed.wat). V8 has it by default from 11.4
 * (Chrome 114; VS Code's Electron extension host); Node 20 (V8 11.3) only with
 * --experimental-wasm-relaxed-simd (enableRelaxedSimd). It fuses on any CPU with FMA.
 */
export function relaxedMadd(): RelaxedMadd {
  if (relaxed !== undefined) return relaxed;
  relaxed = 'absent';
  const api = wasmApi();
  const bytes = fromBase64(RELAXED_WASM_BASE64);
  if (!api || !api.validate(bytes)) return relaxed;
  try {
    const madd = new api.Instance(new api.Module(bytes), {}).exports.madd as (a: number, b: number, c: number) => number;
    // (1 + 2⁻³⁰)(1 − 2⁻³⁰) − 1 is −2⁻⁶⁰ exactly; a rounded product makes it 0.
    relaxed = madd(1 + 2 ** -30, 1 - 2 ** -30, -1) === 0 ? 'unfused' : 'fused';
  } catch {
    relaxed = 'absent';
  }
  return relaxed;
}

interface NodeProcess {
  versions?: { v8?: string };
  getBuiltinModule?: (id: string) => unknown;
}

/**
 * Turns relaxed SIMD on in a V8 that has it only behind its flag (11.3, Node 20), so the CLI and
 * `gradlens lsp --stdio` / `gradlens dap` compute with the same fused arithmetic as VS Code's
 * host. Called only by the CLI's entry, before the first product (V8 reads the flag when it
 * compiles a module): the flag is process-wide and setting it while V8 runs is not thread-safe,
 * so GradLens' workers in an editor's extension host (code-server's Node 20) leave it alone and
 * compute there with separate multiply-adds. A no-op elsewhere: newer V8s have relaxed SIMD on
 * (and may not know the flag), older ones had earlier, incompatible drafts behind it, and a Node 20
 * before 20.16 has no process.getBuiltinModule (the core imports no Node module).
 */
export function enableRelaxedSimd(): void {
  const node = (globalThis as { process?: NodeProcess }).process;
  const [major, minor] = (node?.versions?.v8 ?? '').split('.').map(Number);
  if (!(major === 11 && minor === 3) || relaxed === 'fused' || relaxed === 'unfused') return;
  const v8 = node?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
  v8?.setFlagsFromString?.('--experimental-wasm-relaxed-simd');
  relaxed = undefined;
}
