// `npm run bench`: bundles bench/run.ts with esbuild, as the CLI and the extension bundle the core
// (so the timed code is the code that ships, not tsx's on-the-fly transform), and runs it.
// Arguments are passed on (--only a,b, --quick, --no-peer).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, 'tmp', 'bench.cjs');
await esbuild.build({
  entryPoints: [join(here, 'run.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, GRADLENS_BENCH_DIR: here } });
process.exit(r.status ?? 1);
