/** What node:test's spec reporter printed: its closing counts and the titles of the failed tests. */
export function specSummary(out: string): { passed: number; failed: number; skipped: number; failedTitles: string[] };
