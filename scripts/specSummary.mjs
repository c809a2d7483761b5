// What node:test's spec reporter printed: its closing counts and the titles under its closing
// `failing tests:`. Read by npm test (scripts/test-all.mjs) and the end-to-end runner (test/e2e/run.ts).

/** @param {string} out the reporter's whole output */
export function specSummary(out) {
  const n = (k) => Number(new RegExp(`^ℹ ${k} (\\d+)$`, 'm').exec(out)?.[1] ?? 0);
  const failing = out.split('✖ failing tests:')[1] ?? '';
  const failedTitles = [...failing.matchAll(/^\s*✖ (.+?) \([\d.]+ms\)$/gm)].map((m) => m[1]);
  return { passed: n('pass'), failed: n('fail') + n('cancelled'), skipped: n('skipped') + n('todo'), failedTitles };
}
