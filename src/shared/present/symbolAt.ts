// What the cursor is on, in terms of the Analysis: a tensor (top-level or inside a gate), a gate,
// an operation (a function, an operator or `.T`), a dimension. Hovers read it.
import type { Analysis, GateLocal, GateSummary, NodeResult } from '../../core';
import type { BinaryOp } from '../../core';
import { transposeT } from '../../core';
import type { OpDef } from '../../core';
import { binaryOpDef, chooseOverload, FUNCTIONS } from '../../core';
import type { Position, Range } from '../../core';

export type SymbolAt =
  | { kind: 'node'; node: NodeResult; range: Range }
  | { kind: 'local'; gate: GateSummary; local: GateLocal; range: Range }
  | { kind: 'gate'; gate: GateSummary; range: Range }
  | { kind: 'op'; op: OpDef; range: Range }
  | { kind: 'dim'; name: string; size: number; range: Range };

const OPERATORS = ['**', '>=', '<=', '==', '@', '+', '-', '*', '/', '>', '<'];

export function contains(r: Range, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}

export function gateAt(a: Analysis, pos: Position): GateSummary | undefined {
  return a.gates.find((g) => contains(g.range, pos));
}

function range(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

/** The identifier around character `c` of `line`, as [start, end), or null. */
function wordAt(line: string, c: number): [number, number] | null {
  const isWord = (ch: string | undefined) => ch !== undefined && /[A-Za-z0-9_]/.test(ch);
  let start = c;
  while (start > 0 && isWord(line[start - 1])) start--;
  let end = c;
  while (isWord(line[end])) end++;
  if (start === end || !/[A-Za-z_]/.test(line[start])) return null;
  return [start, end];
}

export function symbolAt(lineText: string, a: Analysis, pos: Position): SymbolAt | null {
  const word = wordAt(lineText, pos.character);
  const c = pos.character;
  if (!word) {
    if (lineText.slice(c - 1, c + 1) === '.T' || lineText.slice(c, c + 2) === '.T') return { kind: 'op', op: transposeT, range: range(pos.line, c, c) };
    for (const op of OPERATORS) {
      for (let start = c - op.length + 1; start <= c; start++) {
        if (start >= 0 && lineText.slice(start, start + op.length) === op) return { kind: 'op', op: binaryOpDef(op as BinaryOp), range: range(pos.line, start, start + op.length) };
      }
    }
    return null;
  }
  const [ws, we] = word;
  const name = lineText.slice(ws, we);
  const wordRange = range(pos.line, ws, we);
  if (lineText[ws - 1] === '.' && name === 'T') return { kind: 'op', op: transposeT, range: wordRange };
  const isCall = /^\s*\(/.test(lineText.slice(we));
  const gate = gateAt(a, pos);
  if (isCall) {
    const calledGate = a.gates.find((g) => g.name === name);
    if (calledGate) return { kind: 'gate', gate: calledGate, range: wordRange };
    const ops = FUNCTIONS.get(name);
    if (ops) {
      // max(a, b) vs max(x, axis=k): count the top-level commas before a keyword
      const op = ops.length > 1 ? pickOverload(ops, lineText.slice(we)) : ops[0];
      return { kind: 'op', op, range: wordRange };
    }
  }
  if (gate) {
    if (name === gate.name && contains(gate.headerRange, pos)) return { kind: 'gate', gate, range: wordRange };
    const local = gate.locals.find((l) => l.name === name);
    if (local) return { kind: 'local', gate, local, range: wordRange };
  }
  const node = a.nodes.find((n) => n.name === name);
  if (node && !gate) return { kind: 'node', node, range: wordRange };
  if (name in a.dims) return { kind: 'dim', name, size: a.dims[name], range: wordRange };
  if (node) return { kind: 'node', node, range: wordRange };
  return null;
}

function pickOverload(ops: readonly OpDef[], after: string): OpDef {
  let depth = 0;
  let positional = 1;
  for (const ch of after.slice(after.indexOf('(') + 1)) {
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') {
      if (depth === 0) break;
      depth--;
    } else if (ch === ',' && depth === 0) positional++;
    else if (ch === '=' && depth === 0) {
      positional--;
      break;
    }
  }
  return chooseOverload(ops, positional);
}
