// The static stability checks look names up through their definitions: a softmax written as
// `z = exp(s)` then `z / sum(z)` is found, one whose scores were shifted by their max on an earlier
// line is not, and a name defined again means its last definition (the lookup keeps only the
// definitions it can use, so a file's thousands of other names cost it nothing).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStability } from '../../src/core/checks/stability';
import { DiagnosticSink } from '../../src/core/diagnostics';
import { parse } from '../../src/core/lang/parser';

function codes(text: string): string[] {
  const sink = new DiagnosticSink();
  checkStability(parse(text, sink), text, sink);
  return sink.items.filter((d) => d.code.startsWith('unstable')).map((d) => `${d.code}@${text.slice(0, d.span.start).split('\n').length}`);
}

test('a softmax and a log found through names, a shifted softmax left alone', () => {
  const head = 'dims N = 2, C = 3\ninput s: [N, C]\n';
  assert.deepEqual(codes(`${head}z = exp(s)\np = z / sum(z, axis=1, keepdims=true)\nl = log(p)\n`), ['unstable-softmax@4', 'unstable-log@5']);
  assert.deepEqual(codes(`${head}t = s - max(s, axis=1, keepdims=true)\np = exp(t) / sum(exp(t), axis=1, keepdims=true)\n`), []);
  // Many unrelated names in between change nothing.
  const filler = Array.from({ length: 50 }, (_, i) => `k${i} = s * ${i}`).join('\n');
  assert.deepEqual(codes(`${head}z = exp(s)\n${filler}\np = z / sum(z, axis=1, keepdims=true)\n`), ['unstable-softmax@54']);
  // Defined again as something else: no longer an exp.
  assert.deepEqual(codes(`${head}z = exp(s)\nz = s * 2\np = z / sum(z, axis=1, keepdims=true)\n`), []);
});
