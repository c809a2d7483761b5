import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs a TypeScript script (through tsx) in a fresh Node process, with `env` added to this one's:
 * its exit status, what it printed (stdout then stderr) and how long it took. For what one process
 * cannot test on itself: a helper thread that never keeps it alive, one that fails, the environment.
 */
export function runScript(source: string, env: Record<string, string> = {}): { status: number | null; out: string; ms: number } {
  const dir = mkdtempSync(join(tmpdir(), 'gradlens-child-'));
  try {
    const file = join(dir, 'child.ts');
    writeFileSync(file, source);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 });
    return { status: r.status, out: r.stdout + r.stderr, ms: Date.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
