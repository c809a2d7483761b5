// edit-latency: keystroke → updated code lenses in code-server (median of 20 edits). Measured
// through the end-to-end harness (scripts/codeServer.ts) when it can run here.
export interface EditLatency {
  medianMs: number | null;
  /** Longest time the extension host's main thread was blocked by analysis. */
  maxBlockedMs: number | null;
  peakMb: number | null;
  note: string;
}

export async function measureEditLatency(): Promise<EditLatency> {
  return { medianMs: null, maxBlockedMs: null, peakMb: null, note: 'not measured here: measured by the end-to-end harness (code-server), not yet wired into the bench' };
}
