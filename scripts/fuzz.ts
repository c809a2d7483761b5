// The long fuzz run (`npm run fuzz [-- --minutes 5] [--verdicts 2000]`): first the verdict property
// over 2,000 well-typed programs (test/fuzz/verdicts.ts), then random programs and mutated examples for a
// fixed time; reports inputs tried, crashes, hangs, the slowest input and peak memory, and saves
// every failing input under test/fuzz/regressions (the quick fuzz in `npm test` re-runs them).
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { analyze } from '../src/core/analyze';
import { exampleTexts, grown, mutation, program, wellTyped } from '../test/fuzz/generators';
import { FUZZ_OPTIONS, fuzzGrown, fuzzOne, GROWN_OPTIONS } from '../test/fuzz/harness';
import { verdictOutcome } from '../test/fuzz/verdicts';

const args = process.argv.slice(2);
/** The value after `--name`, or undefined when the option is not given (then the default applies). */
const option = (name: string): number | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};
const minutes = option('--minutes') || 5;
// Without --seed, a new one each run (printed with the results: a run can be repeated).
const seed = option('--seed') ?? (Date.now() % 1e9 || 1);
// The verdict property (issue 18) runs over this many well-typed programs before the time-boxed part.
const verdictRuns = option('--verdicts') ?? 2000;
const regressions = join(__dirname, '..', 'test', 'fuzz', 'regressions');
mkdirSync(regressions, { recursive: true });

// The verdict property: programs whose gradients agree with central differences at several steps
// must raise no gradcheck-failed/warning (a false alarm); analytic gradients must agree.
const verdicts = { programs: verdictRuns, agree: 0, skipped: 0, disagree: 0, falseAlarms: 0 };
for (const text of verdictRuns > 0 ? fc.sample(wellTyped, { seed, numRuns: verdictRuns }) : []) {
  const o = verdictOutcome(text);
  verdicts[o.kind]++;
  const bad = o.kind === 'disagree' ? `DISAGREE ${o.entry}` : o.kind === 'agree' && o.alarms.length ? `FALSE ALARM ${o.alarms[0].split('\n')[0]}` : null;
  if (!bad) continue;
  if (o.kind === 'agree') verdicts.falseAlarms++;
  const file = join(regressions, `verdict-${createHash('sha1').update(text).digest('hex').slice(0, 10)}.grad`);
  writeFileSync(file, text);
  console.log(`${bad} → ${file}`);
}
console.log(JSON.stringify({ verdicts }));

const deadline = Date.now() + minutes * 60_000;
// The fourth source grows sizes and op attributes towards the limits (generators.ts: grown), run
// with its own options and time bound; its failures are saved as grown-*.grad.
const sources = [program, mutation(exampleTexts()), wellTyped, grown(exampleTexts())];
const GROWN = 3;
const grownStats = { tried: 0, tooLarge: 0, ran: 0, slowestMs: 0, slowestCpuMs: 0 };
let tried = 0;
let crashes = 0;
let hangs = 0;
let ran = 0;
let checked = 0;
// By CPU time (the work an input took; the hang bound is on it, harness.ts), with the slowest wall time beside.
let slowest = { ms: 0, cpuMs: 0, text: '' };
let slowestWallMs = 0;
let peak = 0;
let peakText = '';
const rng = fc.sample(fc.integer(), { seed, numRuns: 1 })[0];
let batch = 0;
while (Date.now() < deadline) {
  const source = batch % sources.length;
  const isGrown = source === GROWN;
  // Grown inputs are slower (up to the limits): fewer per batch.
  const inputs = fc.sample(sources[source], { seed: seed + rng + batch, numRuns: isGrown ? 25 : 200 });
  batch++;
  for (const text of inputs) {
    tried++;
    const r = isGrown ? fuzzGrown(text, tried % 10 === 0) : fuzzOne(text, tried % 10 === 0);
    if (isGrown) {
      grownStats.tried++;
      grownStats.slowestMs = Math.max(grownStats.slowestMs, Math.round(r.ms));
      grownStats.slowestCpuMs = Math.max(grownStats.slowestCpuMs, Math.round(r.cpuMs));
      if (!r.problem) {
        const a = analyze(text, GROWN_OPTIONS);
        if (a.diagnostics.some((d) => d.code === 'too-large')) grownStats.tooLarge++;
        if (a.nodes.some((n) => n.value)) grownStats.ran++;
      }
    }
    if (r.cpuMs > slowest.cpuMs) slowest = { ms: r.ms, cpuMs: r.cpuMs, text };
    slowestWallMs = Math.max(slowestWallMs, r.ms);
    if (r.problem) {
      const hang = r.problem.startsWith('took');
      if (hang) hangs++;
      else crashes++;
      const file = join(regressions, `${isGrown ? 'grown-' : ''}${hang ? 'hang' : 'crash'}-${createHash('sha1').update(text).digest('hex').slice(0, 10)}.grad`);
      writeFileSync(file, text);
      console.log(`${hang ? 'HANG' : 'CRASH'} ${r.problem.split('\n')[0]} → ${file}`);
    }
    if (!isGrown && tried % 50 === 0) {
      const a = analyze(text, FUZZ_OPTIONS);
      if (a.nodes.some((n) => n.value)) ran++;
      if (a.gradchecks.length) checked++;
    }
    const rss = process.memoryUsage().rss;
    // The input after which the process reached its peak (what drove it there, most likely).
    if (rss > peak) peakText = text;
    peak = Math.max(peak, rss);
    if (Date.now() >= deadline) break;
  }
}
const sampled = Math.floor(tried / 50);
console.log(
  JSON.stringify(
    {
      minutes,
      seed,
      inputsTried: tried,
      crashes,
      hangs,
      slowestCpuMs: Math.round(slowest.cpuMs),
      slowestWallMs: Math.round(slowestWallMs),
      peakRssMb: Math.round(peak / 2 ** 20),
      ranForwardPct: sampled ? Math.round((100 * ran) / sampled) : 0,
      gradCheckedPct: sampled ? Math.round((100 * checked) / sampled) : 0,
      grown: grownStats,
      verdicts,
    },
    null,
    2,
  ),
);
console.log(`slowest input (${slowest.cpuMs.toFixed(0)} ms of CPU, ${slowest.ms.toFixed(0)} ms wall):\n${slowest.text.slice(0, 800)}`);
console.log(`input at the peak RSS (${Math.round(peak / 2 ** 20)} MB):\n${peakText.slice(0, 800)}`);
process.exitCode = crashes + hangs + verdicts.falseAlarms + verdicts.disagree > 0 ? 1 : 0;
