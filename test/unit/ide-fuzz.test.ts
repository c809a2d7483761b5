// Every IDE function at random offsets of random programs and mutated examples (broken, unclosed,
// CRLF): none throws, and what each returns holds together — ranges inside the text, rename edits
// replacing the old name, semantic tokens in order, selection ranges nested, folds forward.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as ide from '../../src/core/ide';
import { LineMap, type Range } from '../../src/core/text';
import { exampleTexts, mutation, program } from '../fuzz/generators';

function check(text: string, offsets: number[]): void {
  const map = new LineMap(text);
  const inside = (r: Range) => {
    const a = map.offset(r.start);
    const b = map.offset(r.end);
    assert.ok(a <= b && b <= text.length, JSON.stringify(r));
    return text.slice(a, b);
  };
  for (const raw of offsets) {
    const offset = Math.floor(raw * (text.length + 1));
    for (const item of ide.complete(text, offset)) {
      const word = inside(item.range);
      assert.ok(/^[A-Za-z0-9_]*$/.test(word), `completion replaces a word, not ${JSON.stringify(word)}`);
    }
    const sig = ide.signatureHelp(text, offset);
    if (sig) for (const p of sig.parameters) assert.equal(sig.label.slice(...p.labelOffsets), p.label);
    const sym = ide.symbolAt(text, offset);
    if (sym) assert.equal(inside(sym.range), sym.name);
    for (const r of ide.findReferences(text, offset, true)) inside(r);
    for (const h of ide.documentHighlights(text, offset)) inside(h.range);
    const def = ide.definition(text, offset);
    if (def) inside(def);
    const prep = ide.prepareRename(text, offset);
    if ('range' in prep) {
      assert.equal(inside(prep.range), prep.placeholder);
      const edits = ide.rename(text, offset, `${prep.placeholder}_2`);
      if (Array.isArray(edits)) for (const e of edits) assert.ok(e.newText.endsWith('_2') && /^[A-Za-z_]\w*$/.test(inside(e.range)));
    }
    let sel: ide.SelectionRange | undefined = ide.selectionRanges(text, [offset])[0];
    while (sel?.parent) {
      const [a, b] = [map.offset(sel.range.start), map.offset(sel.range.end)];
      const [pa, pb] = [map.offset(sel.parent.range.start), map.offset(sel.parent.range.end)];
      assert.ok(pa <= a && b <= pb, 'selection ranges nest');
      sel = sel.parent;
    }
  }
  const tokens = ide.decodeSemanticTokens(ide.semanticTokens(text));
  tokens.forEach((t, i) => {
    const s = map.offset({ line: t.line, character: t.character });
    assert.ok(/^[A-Za-z_]\w*$/.test(text.slice(s, s + t.length)), 'a token is a name');
    if (i > 0) assert.ok(t.line > tokens[i - 1].line || t.character >= tokens[i - 1].character + tokens[i - 1].length);
  });
  for (const f of ide.foldingRanges(text)) assert.ok(f.startLine < f.endLine && f.endLine < map.lineCount);
  const visit = (s: ide.DocumentSymbol) => {
    inside(s.range);
    s.children.forEach(visit);
  };
  ide.documentSymbols(text).forEach(visit);
}

const offsets = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 8 });

test('IDE functions on random programs never throw and stay consistent', () => {
  fc.assert(fc.property(program, offsets, check), { numRuns: 120, seed: 21 });
});

test('IDE functions on mutated examples (CRLF too) never throw and stay consistent', () => {
  fc.assert(
    fc.property(mutation(exampleTexts()), offsets, fc.boolean(), (text, o, crlf) => check(crlf ? text.replace(/\n/g, '\r\n') : text, o)),
    { numRuns: 120, seed: 22 },
  );
});

test('empty and tiny texts', () => {
  for (const t of ['', '\n', 'x', 'gate', 'gate f(', 'h = sum(', '# only a comment', '}', 'x = [\n']) check(t, [0, 0.5, 1]);
  assert.deepEqual(ide.complete('', 0).map((i) => i.label).sort(), ['const', 'dims', 'expect', 'gate', 'input', 'param', 'seed']);
});
