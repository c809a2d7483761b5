// Every diagnostic code in the table is triggered by its documented example (so the
// troubleshooting page generated from the table cannot drift from the behaviour).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { DIAGNOSTIC_CODES, type DiagnosticCode } from '../../src/core/diagnosticCodes';

for (const [code, info] of Object.entries(DIAGNOSTIC_CODES) as [DiagnosticCode, (typeof DIAGNOSTIC_CODES)[DiagnosticCode]][]) {
  if (info.example === null) continue;
  test(`example of \`${code}\` reports it with severity ${info.severity}`, () => {
    const a = analyze(info.example as string);
    const found = a.diagnostics.filter((d) => d.code === code);
    assert.ok(found.length > 0, `no ${code}; got: ${a.diagnostics.map((d) => `${d.code}: ${d.message}`).join(' | ') || 'nothing'}`);
    assert.equal(found[0].severity, info.severity);
    assert.ok(found[0].message.length > 20, 'messages are sentences');
  });
}

test('only internal-error has no example', () => {
  const without = Object.entries(DIAGNOSTIC_CODES)
    .filter(([, i]) => i.example === null)
    .map(([c]) => c);
  assert.deepEqual(without, ['internal-error']);
});
