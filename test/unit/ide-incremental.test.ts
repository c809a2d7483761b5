// Relexing around an edit gives exactly the tokens, lexer diagnostics, syntax tree and syntax errors
// of a document built from scratch — on random edits of the examples and of fuzz programs,
// including the edits that change what a newline means (brackets, operators at a line end, braces,
// CR/LF) — and it does reuse tokens for a one-line edit in a large file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DiagnosticSink } from '../../src/core/diagnostics';
import { IdeDocument } from '../../src/core/ide/document';
import { relex } from '../../src/core/ide/incremental';
import { lex } from '../../src/core/lang/lexer';
import { exampleTexts, program } from '../fuzz/generators';

const SNIPPETS = ['x', ' ', '\n', '\r', '\r\n', '(', ')', '[', ']', '{', '}', '+', ',', '=', '#', '# c\n', 'gate g(x: [N]) -> out: [N] {', 'backward {', ':', '~', '1e', "'", '$', '\n\n', 'h = relu(', '.', '..', '-'];

const edit = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 6 }), fc.constantFrom(...SNIPPETS));

function apply(text: string, [where, del, ins]: [number, number, string]): string {
  const at = Math.floor(where * text.length);
  return text.slice(0, at) + ins + text.slice(at + del);
}

let reused = 0;
let edits = 0;

/** `base`: the document of `before` (by default built from scratch); returns the one of `after`. */
function sameAsFresh(before: string, after: string, base = new IdeDocument(before)): IdeDocument {
  edits++;
  if (relex(before, { tokens: base.tokens, errors: base.lexErrors }, after)) reused++;
  const inc = new IdeDocument(after, base);
  const fresh = new IdeDocument(after);
  assert.deepEqual(inc.tokens, fresh.tokens, `tokens differ after editing\n${JSON.stringify(before)}\n→ ${JSON.stringify(after)}`);
  assert.deepEqual(inc.lexErrors, fresh.lexErrors);
  assert.deepEqual(inc.syntaxErrors, fresh.syntaxErrors);
  assert.deepEqual(inc.program, fresh.program);
  return inc;
}

test('relexing after random edits of the examples equals lexing from scratch', () => {
  const texts = exampleTexts();
  fc.assert(
    fc.property(fc.integer({ min: 0, max: texts.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 6 }), (i, edits) => {
      // Each edit's document is built from the last one's (as while typing: reused tokens, parse).
      let before = texts[i];
      let doc = new IdeDocument(before);
      for (const e of edits) {
        const after = apply(before, e);
        doc = sameAsFresh(before, after, doc);
        before = after;
      }
    }),
    { numRuns: 300, seed: 5 },
  );
});

test('relexing after random edits of fuzz programs (CRLF too) equals lexing from scratch', () => {
  fc.assert(
    fc.property(program, edit, fc.boolean(), (text, e, crlf) => {
      const before = crlf ? text.replace(/\n/g, '\r\n') : text;
      sameAsFresh(before, apply(before, e));
    }),
    { numRuns: 300, seed: 6 },
  );
  assert.ok(reused > edits / 2, `most edits relex only their lines (${reused} of ${edits})`);
});

test('a one-line edit in a large file reuses the tokens around it', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `h${i + 1} = relu(h${i} * 2)`);
  const text = `input h0: [3]\n${lines.join('\n')}\n`;
  const prevTokens = lex(text, new DiagnosticSink());
  const at = text.indexOf('h200 = relu(') + 'h200 = relu('.length;
  const edited = `${text.slice(0, at)}sum(${text.slice(at)}`;
  const r = relex(text, { tokens: prevTokens, errors: [] }, `${edited.slice(0, edited.indexOf('\n', at))})${edited.slice(edited.indexOf('\n', at))}`);
  assert.ok(r, 'the edit stays inside one statement');
  assert.equal(r.tokens[5], prevTokens[5], 'tokens before the edit are the same objects');
  // An unclosed bracket joins the following lines: relexing declines and the caller lexes all.
  assert.equal(relex(text, { tokens: prevTokens, errors: [] }, edited), null);
});

test('a one-line edit in a large file parses only from the edited statement on', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `h${i + 1} = relu(h${i} * 2)`);
  const text = `input h0: [3]\ngate g(x: [N]) -> out: [N] {\n  out = x\n}\n${lines.join('\n')}\n`;
  const base = new IdeDocument(text);
  const at = text.indexOf('h200 = relu(') + 'h200 = relu('.length;
  const edited = `${text.slice(0, at)}2 * ${text.slice(at)}`;
  const inc = new IdeDocument(edited, base);
  const k = inc.program.statements.findIndex((s) => s.kind === 'assign' && s.name === 'h200');
  assert.ok(k > 100);
  // The parser resumes before the statement above the edited one (it read the newline between them).
  for (let i = 0; i < k - 1; i++) assert.equal(inc.program.statements[i], base.program.statements[i], `statement ${i} before the edit is the base's own`);
  assert.notEqual(inc.program.statements[k], base.program.statements[k], 'the edited statement is parsed again');
  assert.deepEqual(inc.program, new IdeDocument(edited).program);
  // A syntax error before the edit is kept, one after it found again at its new place.
  const broken = text.replace('h10 = relu(h9 * 2)', 'h10 = relu(h9 * )').replace('h300 = relu(h299 * 2)', 'h300 = = 1');
  const before = new IdeDocument(broken);
  const after = new IdeDocument(`${broken.slice(0, broken.indexOf('h200 ='))}x${broken.slice(broken.indexOf('h200 ='))}`, before);
  assert.equal(after.syntaxErrors.length, 2);
  assert.deepEqual(after.syntaxErrors, new IdeDocument(after.text).syntaxErrors);
});
