// The sidebar's Gradient Checks rows fit the default sidebar width: beside the check's name only
// the error (and how many entries are off); the figures of an entry are in its tooltip.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { checkRowText, entryRowText, entryTooltip } from '../../src/shared/present/titles';

const examples = join(__dirname, '..', '..', 'examples');

test('check and entry rows are short; the tooltip keeps every figure', () => {
  let failing = 0;
  for (const f of ['affine-gate.grad', 'broken/wrong-sign.grad', 'broken/relu-mask.grad']) {
    const a = analyze(readFileSync(join(examples, f), 'utf8'));
    assert.ok(a.gradchecks.length > 0, f);
    for (const c of a.gradchecks) {
      const row = checkRowText(c);
      // About 35 characters of description fit beside a short name in a 300 px sidebar.
      assert.ok(row.length <= 22, `${f} ${c.target}: "${row}"`);
      if (c.failing > 0) {
        failing++;
        assert.match(row, new RegExp(`^${c.failing}/${c.checked} off · err `));
      } else assert.match(row, /^err /);
      for (const e of c.worst) {
        assert.ok(entryRowText(e).length <= 16, entryRowText(e));
        const tip = entryTooltip(e, c.h);
        assert.match(tip, /analytic .* · numeric .* · relative error /);
      }
    }
  }
  assert.ok(failing > 0, 'a broken example has failing entries');
});
