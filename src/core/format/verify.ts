// What "the formatter changes only layout" means, checkably: the two texts have the same tokens
// (newlines aside) and parse to the same syntax tree once source positions are stripped, with the
// same syntax errors. The formatter checks its own output with these and the tests use them.
import { DiagnosticSink } from '../diagnostics';
import { lex } from '../lang/lexer';
import { parseTokens } from '../lang/parser';

/** The tokens of a text without newlines, as `kind:text` (the text as written, e.g. `1e-3`). */
export function tokenTexts(text: string): string[] {
  const out: string[] = [];
  for (const t of lex(text, new DiagnosticSink())) {
    if (t.kind !== 'newline' && t.kind !== 'eof') out.push(`${t.kind}:${text.slice(t.span.start, t.span.end)}`);
  }
  return out;
}

/** A deep copy of a syntax tree (or anything) without its source positions (`span`, `…Span`). */
export function stripSpans(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSpans);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'span' || k.endsWith('Span')) continue;
    out[k] = stripSpans(v);
  }
  return out;
}

/** The syntax tree without positions and the syntax errors' messages, as one comparable string. */
export function syntaxFingerprint(text: string): string {
  const sink = new DiagnosticSink();
  const program = parseTokens(lex(text, sink), sink);
  // NaN (a malformed number's value) survives JSON only as a string.
  return JSON.stringify({ program: stripSpans(program), errors: sink.items.map((d) => `${d.code}: ${d.message}`) }, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

/** Whether two texts differ only in layout: same tokens, same tree, same syntax errors. */
export function sameMeaning(a: string, b: string): boolean {
  const ta = tokenTexts(a);
  const tb = tokenTexts(b);
  if (ta.length !== tb.length || ta.some((t, i) => t !== tb[i])) return false;
  return syntaxFingerprint(a) === syntaxFingerprint(b);
}
