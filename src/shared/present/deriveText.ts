// What "Derive Backward" says: how the derived gradients compare with the hand-written ones (by the
// gate's gradient checks where they ran, else by their text), in one sentence.
import type { DerivedGradient, GradCheckResult } from '../../core';

type Comparison = 'new' | 'same' | 'agrees' | 'differs';

/** A derived gradient against the user's: absent, the same text, checked correct, or different. */
export function compareGradient(gate: string, g: DerivedGradient, checks: readonly GradCheckResult[]): Comparison {
  if (g.yours === null) return 'new';
  if (g.yours === g.derived) return 'same';
  const check = checks.find((c) => c.target === `${gate}.${g.name}`);
  return check && !check.notRun && (check.verdict === 'pass' || check.verdict === 'ok-if-kinked') ? 'agrees' : 'differs';
}

/** `dW`, `dW and db`, `dX, dW and db`. */
function names(list: string[]): string {
  return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}

/**
 * "derived 3 gradients of `affine`; dW and db differ from yours". `unchanged`: the derived block is
 * the text already there.
 */
export function deriveMessage(gate: string, gradients: readonly DerivedGradient[], checks: readonly GradCheckResult[], unchanged: boolean): string {
  const head = `derived ${gradients.length} gradient${gradients.length === 1 ? '' : 's'} of \`${gate}\``;
  if (unchanged) return `${head}; your backward block is already this one: nothing to change`;
  const by = (c: Comparison) => gradients.filter((g) => compareGradient(gate, g, checks) === c).map((g) => g.name);
  const differs = by('differs');
  const fresh = by('new');
  const agrees = by('agrees');
  const parts: string[] = [];
  if (differs.length) parts.push(`${names(differs)} ${differs.length === 1 ? 'differs' : 'differ'} from yours`);
  if (fresh.length) parts.push(`${names(fresh)} ${fresh.length === 1 ? 'is' : 'are'} new`);
  if (agrees.length) parts.push(`${names(agrees)} ${agrees.length === 1 ? 'is' : 'are'} written differently but ${agrees.length === 1 ? 'agrees' : 'agree'} with yours (gradient check passes)`);
  if (!parts.length) parts.push('every gradient is the same as yours (only the layout changes)');
  return `${head}; ${parts.join('; ')}`;
}
