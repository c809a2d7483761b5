// What the analysing thread really holds in typed arrays, for the core's memory guard
// (src/core/memoryGuard.ts). Node counts ArrayBuffers per isolate, so in the analysis worker this
// is the worker's own tensors, not the extension host's; in the CLI, the process's. V8's heap limit
// (the worker's resourceLimits) does not cover them, which is why the guard exists.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MemoryProbe } from '../../core';

/** V8's collector, reachable without --expose-gc: garbage must not count as held memory. */
function collector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}

export function nodeMemoryProbe(): MemoryProbe {
  const collect = collector();
  return { heldBytes: () => process.memoryUsage().arrayBuffers, ...(collect ? { collect } : {}) };
}
