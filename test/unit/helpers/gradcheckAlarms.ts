// What the gradient-check tests share: the alarms an analysis raised, and a run with the
// confirmation at more steps on or off.
import type { Analysis } from '../../../src/core/model';

/** The gradient-check diagnostics of an analysis (failed and suspicious). */
export const alarms = (a: Analysis) => a.diagnostics.filter((d) => d.code === 'gradcheck-failed' || d.code === 'gradcheck-warning');

/** Runs `fn` with confirmation at more steps on or off (GRADLENS_GRADCHECK_UNCONFIRMED). */
export function withConfirmation<T>(on: boolean, fn: () => T): T {
  const prev = process.env.GRADLENS_GRADCHECK_UNCONFIRMED;
  process.env.GRADLENS_GRADCHECK_UNCONFIRMED = on ? '0' : '1';
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env.GRADLENS_GRADCHECK_UNCONFIRMED;
    else process.env.GRADLENS_GRADCHECK_UNCONFIRMED = prev;
  }
}
