// Semantic tokens: what each name means, for the editor to colour beyond what the TextMate grammar
// can tell (a `W` that is a gate input, a `dW` that is a gradient, a `D` that is a dimension).
// Encoded as the LSP's relative integers: per token (line delta, start delta, length, type index,
// modifier bits), sorted by position.
//
// Legend (indices into SEMANTIC_TOKEN_TYPES and bits of SEMANTIC_TOKEN_MODIFIERS):
//   variable   tensors: the file's inputs, params, consts and nodes; a gate's intermediates, output,
//              backward names and d<out>
//   parameter  a gate's inputs (header and uses, and `W=` in a call of the gate); keyword-argument
//              names of an operation (`axis=`)
//   type       dimensions, the file's and a gate's own
//   function   operations and inits (with defaultLibrary) and gates (with gate)
// Modifiers:
//   declaration     the defining occurrence
//   readonly        consts (never differentiated)
//   defaultLibrary  built-in operations and inits
//   modification    an assignment that is not the definition (a gate's output in its body)
//   input, param    the file's data and learnable tensors (custom)
//   gradient        names assigned in a backward block and d<out> (custom)
//   gate            gates (custom)
// Names that resolve to nothing get no token (the grammar colours them).
import type { Span } from '../text';
import type { IdeSymbol } from './binder';
import { ideDocument } from './document';

export const SEMANTIC_TOKEN_TYPES = ['variable', 'parameter', 'type', 'function'] as const;
export const SEMANTIC_TOKEN_MODIFIERS = ['declaration', 'readonly', 'defaultLibrary', 'modification', 'input', 'param', 'gradient', 'gate'] as const;

export type SemanticTokenType = (typeof SEMANTIC_TOKEN_TYPES)[number];
export type SemanticTokenModifier = (typeof SEMANTIC_TOKEN_MODIFIERS)[number];

export const SEMANTIC_TOKENS_LEGEND = { tokenTypes: [...SEMANTIC_TOKEN_TYPES], tokenModifiers: [...SEMANTIC_TOKEN_MODIFIERS] };

const TYPE = Object.fromEntries(SEMANTIC_TOKEN_TYPES.map((t, i) => [t, i])) as Record<SemanticTokenType, number>;
const MOD = Object.fromEntries(SEMANTIC_TOKEN_MODIFIERS.map((m, i) => [m, 1 << i])) as Record<SemanticTokenModifier, number>;

/** A decoded token, for tests and for servers that want absolute positions. */
export interface SemanticToken {
  line: number;
  character: number;
  length: number;
  type: SemanticTokenType;
  modifiers: SemanticTokenModifier[];
}

function classify(s: IdeSymbol): [number, number] {
  switch (s.kind) {
    case 'input':
      return [TYPE.variable, MOD.input];
    case 'param':
      return [TYPE.variable, MOD.param];
    case 'const':
      return [TYPE.variable, MOD.readonly];
    case 'node':
    case 'gateLocal':
    case 'gateOutput':
      return [TYPE.variable, 0];
    case 'gradient':
    case 'upstream':
      return [TYPE.variable, MOD.gradient];
    case 'gateInput':
      return [TYPE.parameter, 0];
    case 'dim':
    case 'gateDim':
      return [TYPE.type, 0];
    case 'gate':
      return [TYPE.function, MOD.gate];
  }
}

/** The tokens of a file in the LSP relative encoding. */
export function semanticTokens(text: string): number[] {
  const doc = ideDocument(text);
  const raw: { span: Span; type: number; mods: number }[] = [];
  for (const o of doc.index.occurrences) {
    const [type, mods] = classify(o.symbol);
    const role = o.role === 'decl' ? MOD.declaration : o.role === 'write' ? MOD.modification : 0;
    raw.push({ span: o.span, type, mods: mods | role });
  }
  for (const m of doc.index.mentions) {
    if (m.kind === 'op' || m.kind === 'init') raw.push({ span: m.span, type: TYPE.function, mods: MOD.defaultLibrary });
    else if (m.kind === 'kwarg') raw.push({ span: m.span, type: TYPE.parameter, mods: 0 });
  }
  raw.sort((a, b) => a.span.start - b.span.start);
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  let lastEnd = -1;
  for (const t of raw) {
    if (t.span.start < lastEnd || t.span.end <= t.span.start) continue; // never overlap
    lastEnd = t.span.end;
    const p = doc.position(t.span.start);
    data.push(p.line - prevLine, p.line === prevLine ? p.character - prevChar : p.character, t.span.end - t.span.start, t.type, t.mods);
    prevLine = p.line;
    prevChar = p.character;
  }
  return data;
}

/** Decodes the relative encoding (the inverse of what an editor does with it). */
export function decodeSemanticTokens(data: number[]): SemanticToken[] {
  const out: SemanticToken[] = [];
  let line = 0;
  let character = 0;
  for (let i = 0; i + 4 < data.length; i += 5) {
    line += data[i];
    character = data[i] === 0 ? character + data[i + 1] : data[i + 1];
    const bits = data[i + 4];
    out.push({
      line,
      character,
      length: data[i + 2],
      type: SEMANTIC_TOKEN_TYPES[data[i + 3]],
      modifiers: SEMANTIC_TOKEN_MODIFIERS.filter((_, k) => bits & (1 << k)),
    });
  }
  return out;
}
