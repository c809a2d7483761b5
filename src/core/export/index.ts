// Export a .grad file to a runnable Python script: PyTorch (autograd.Function per hand-written
// gate, gradcheck) or NumPy (cs231n-style forward/backward pairs with numeric checks). Both return
// the files to write, or the reason the file cannot be exported, as data; neither touches disk.
import { exportNumpy } from './numpyScript';
import { exportTorch } from './torchScript';
import type { ExportOptions, ExportResult } from './model';

export type { ExportFailure, ExportFile, ExportOptions, ExportResult } from './model';
export { exportNumpy, exportTorch };

export type ExportTarget = 'torch' | 'numpy';

export function exportScript(target: ExportTarget, text: string, options: ExportOptions = {}): ExportResult {
  return target === 'torch' ? exportTorch(text, options) : exportNumpy(text, options);
}

/** The default file name of the script for a .grad file: `two-layer-net_torch.py`. */
export function defaultScriptName(target: ExportTarget, gradFileName: string): string {
  const base = gradFileName.split(/[\\/]/).pop() ?? gradFileName;
  return `${base.replace(/\.grad$/i, '') || 'network'}_${target}.py`;
}
