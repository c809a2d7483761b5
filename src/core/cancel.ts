// Cooperative cancellation: long loops (the forward and backward passes, gradient checks) ask
// `cancelled()` between steps and stop by throwing AnalysisCancelled, which `analyzeSession`
// turns into an Analysis marked `cancelled` (the core never lets it escape). The editor's worker
// backs the callback with shared memory, so a newer edit stops a stale run mid-way.

export type CancelCheck = () => boolean;

export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled');
  }
}

export function throwIfCancelled(cancelled: CancelCheck | undefined): void {
  if (cancelled?.()) throw new AnalysisCancelled();
}
