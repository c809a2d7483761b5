import { readFileSync } from 'node:fs';
import { analyze, CheckCache } from './src/core';
const text = readFileSync('examples/deep-net.grad', 'utf8');
const cache = new CheckCache();
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  let cancelAt = Infinity;
  const marks: string[] = [];
  const a = analyze(text.replace('seed 0', `seed ${i}`), {
    checkCache: cache,
    onPhase: (p) => { marks.push(`${p} ${(performance.now() - t0).toFixed(0)}`); if (p === 'values') cancelAt = performance.now() + 300; },
    isCancelled: () => i % 2 === 0 && performance.now() > cancelAt,
  });
  marks.push(`end ${(performance.now() - t0).toFixed(0)} cancelled=${a.cancelled} late=${(performance.now() - cancelAt).toFixed(0)}`);
  console.log(marks.join(' | '));
}
