// Running exported scripts: write an export's files into a fresh temp directory and run the script
// with Debian's Python (GRADLENS_PYTHON to override), reading back its GRADLENS_JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportResult } from '../../../src/core/export';
import { PYTHON, torchAvailable, torchRequired } from './torch';

let numpyOk: boolean | null = null;

export function numpyAvailable(): boolean {
  if (numpyOk === null) numpyOk = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  return numpyOk;
}

/** A skip reason, or false; with GRADLENS_REQUIRE_TORCH=1 a missing module fails instead. */
export function pythonSkip(module: 'torch' | 'numpy'): string | false {
  const ok = module === 'torch' ? torchAvailable() : numpyAvailable();
  if (ok) return false;
  if (torchRequired()) throw new Error(`GRADLENS_REQUIRE_TORCH=1 but ${PYTHON} cannot import ${module} (apt-get install -y python3-torch python3-numpy)`);
  return `${PYTHON} cannot import ${module} (apt-get install -y python3-${module}); exported ${module === 'torch' ? 'PyTorch' : 'NumPy'} scripts are not run`;
}

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The object printed after GRADLENS_JSON, or null. */
  json: Record<string, unknown> | null;
  ms: number;
  dir: string;
}

/** Writes the files of a successful export into a new temp directory; returns the script's path. */
export function writeExport(r: ExportResult): { dir: string; script: string } {
  if (!r.ok) throw new Error(`export failed: ${r.error}`);
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-export-'));
  for (const f of r.files) writeFileSync(join(dir, f.path), 'content' in f ? f.content : f.bytes);
  return { dir, script: join(dir, r.files[0].path) };
}

/** Runs a script in its own directory (asynchronously, so several can run at once). */
export function runScript(script: string, dir: string, timeoutMs = 120_000): Promise<ScriptRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(PYTHON, [script], { cwd: dir, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('GRADLENS_JSON '));
      const json = line ? (JSON.parse(line.slice('GRADLENS_JSON '.length)) as Record<string, unknown>) : null;
      resolve({ status, stdout, stderr, json, ms: Date.now() - t0, dir });
    });
  });
}
