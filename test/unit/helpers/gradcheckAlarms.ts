// What the gradient-check tests share: the alarms an analysis raised, and runs with the
// confirmation at more steps, or the batched check, on or off.
import type { Analysis } from '../../../src/core/model';

/** The gradient-check diagnostics of an analysis (failed and suspicious). */
export const alarms = (a: Analysis) => a.diagnostics.filter((d) => d.code === 'gradcheck-failed' || d.code === 'gradcheck-warning');

/** Runs `fn` with the environment variable `name` set to `value`, then puts it back as it was. */
function withEnv<T>(name: string, value: string, fn: () => T): T {
  const prev = process.env[name];
  process.env[name] = value;
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env[name];
    else process.env[name] = prev;
  }
}

/** Runs `fn` with confirmation at more steps on or off (GRADLENS_GRADCHECK_UNCONFIRMED). */
export const withConfirmation = <T>(on: boolean, fn: () => T): T => withEnv('GRADLENS_GRADCHECK_UNCONFIRMED', on ? '0' : '1', fn);

/** Runs `fn` with the batched check off or on (GRADLENS_GRADCHECK_UNBATCHED). */
export const withUnbatched = <T>(unbatched: boolean, fn: () => T): T => withEnv('GRADLENS_GRADCHECK_UNBATCHED', unbatched ? '1' : '0', fn);
