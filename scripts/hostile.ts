// `node --import tsx scripts/hostile.ts [--timeout S]`: the hostile corpus through the built CLI
// (dist/cli.js; `npm run build` first), each file under `/usr/bin/time -v`: wall time, CPU time,
// peak RSS and the exit status, as a markdown table. The committed files are test/hostile/*.grad;
// the large ones are generated into a temporary folder (test/hostile/generate.ts). Done when
// every file ends within 60 s with a diagnostic or a result, and peak RSS stays under 1 GB.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGenerated } from '../test/hostile/generate';

const root = join(__dirname, '..');
const committed = readdirSync(join(root, 'test', 'hostile'))
  .filter((f) => f.endsWith('.grad'))
  .sort()
  .map((f) => join(root, 'test', 'hostile', f));
const files = [...committed, ...writeGenerated(mkdtempSync(join(tmpdir(), 'gradlens-hostile-')))];
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));

const field = (text: string, name: string) => new RegExp(`${name}: (.*)`).exec(text)?.[1]?.trim() ?? '?';
const rows = ['| file | exit | wall | user CPU | peak RSS | last line |', '| --- | --- | --- | --- | --- | --- |'];
for (const file of files) {
  const name = file.split('/').pop() as string;
  if (only.length && !only.some((o) => name.includes(o))) continue;
  // A hard stop well past the CLI's own 60 s, so a hang shows as such instead of blocking the run.
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(root, 'dist', 'cli.js'), 'check', file], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 30 });
  const time = r.stderr.slice(r.stderr.lastIndexOf('Command being timed'));
  const rss = Number(field(time, 'Maximum resident set size \\(kbytes\\)')) / 1024;
  const lines = `${r.stdout}${r.stderr.slice(0, r.stderr.lastIndexOf('Command being timed'))}`.trim().split('\n').filter((l) => l.trim() && !l.startsWith('\tCommand'));
  const error = lines.find((l) => / error: /.test(l) && /too-large|gradlens:/.test(l)) ?? lines.find((l) => l.startsWith('gradlens:')) ?? lines[lines.length - 1] ?? '';
  const exit = r.error ? `killed (${r.error.message})` : field(time, 'Exit status');
  rows.push(`| ${name} | ${exit} | ${field(time, 'Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)')} | ${field(time, 'User time \\(seconds\\)')} s | ${rss.toFixed(0)} MB | ${error.slice(0, 140).replace(/\|/g, '\\|')} |`);
  process.stdout.write(`${rows[rows.length - 1]}\n`);
}
process.stdout.write(`\n${rows.join('\n')}\n`);
