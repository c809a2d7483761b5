// What the cursor is on: a tensor (top-level or inside a gate), a gate, an operation, a dimension.
import * as vscode from 'vscode';
import type { Analysis, GateLocal, GateSummary, NodeResult } from '../core/analysis';
import type { BinaryOp } from '../core/lang/ast';
import type { OpDef } from '../core/ops/op';
import { binaryOpDef, chooseOverload, FUNCTIONS } from '../core/ops/registry';
import { transposeT } from '../core/ops/arithmetic';
import { toRange } from './convert';

export type SymbolAt =
  | { kind: 'node'; node: NodeResult; range: vscode.Range }
  | { kind: 'local'; gate: GateSummary; local: GateLocal; range: vscode.Range }
  | { kind: 'gate'; gate: GateSummary; range: vscode.Range }
  | { kind: 'op'; op: OpDef; range: vscode.Range }
  | { kind: 'dim'; name: string; size: number; range: vscode.Range };

const OPERATORS = ['**', '>=', '<=', '==', '@', '+', '-', '*', '/', '>', '<'];

export function gateAt(a: Analysis, pos: vscode.Position): GateSummary | undefined {
  return a.gates.find((g) => toRange(g.range).contains(pos));
}

export function symbolAt(doc: vscode.TextDocument, a: Analysis, pos: vscode.Position): SymbolAt | null {
  const wordRange = doc.getWordRangeAtPosition(pos, /[A-Za-z_][A-Za-z0-9_]*/);
  const line = doc.lineAt(pos.line).text;
  if (!wordRange) {
    // `.T` or an operator
    const c = pos.character;
    if (line.slice(c - 1, c + 1) === '.T' || line.slice(c, c + 2) === '.T') return { kind: 'op', op: transposeT, range: new vscode.Range(pos, pos) };
    for (const op of OPERATORS) {
      for (let start = c - op.length + 1; start <= c; start++) {
        if (start >= 0 && line.slice(start, start + op.length) === op) {
          return { kind: 'op', op: binaryOpDef(op as BinaryOp), range: new vscode.Range(pos.line, start, pos.line, start + op.length) };
        }
      }
    }
    return null;
  }
  const word = doc.getText(wordRange);
  if (line[wordRange.start.character - 1] === '.' && word === 'T') return { kind: 'op', op: transposeT, range: wordRange };
  const isCall = /^\s*\(/.test(line.slice(wordRange.end.character));
  const gate = gateAt(a, pos);
  if (isCall) {
    const calledGate = a.gates.find((g) => g.name === word);
    if (calledGate) return { kind: 'gate', gate: calledGate, range: wordRange };
    const ops = FUNCTIONS.get(word);
    if (ops) {
      // max(a, b) vs max(x, axis=k): count the top-level commas before a keyword
      const op = ops.length > 1 ? pickOverload(ops, line.slice(wordRange.end.character)) : ops[0];
      return { kind: 'op', op, range: wordRange };
    }
  }
  if (gate) {
    if (word === gate.name && toRange(gate.headerRange).contains(pos)) return { kind: 'gate', gate, range: wordRange };
    const local = gate.locals.find((l) => l.name === word);
    if (local) return { kind: 'local', gate, local, range: wordRange };
  }
  const node = a.nodes.find((n) => n.name === word);
  if (node && !gate) return { kind: 'node', node, range: wordRange };
  if (word in a.dims) return { kind: 'dim', name: word, size: a.dims[word], range: wordRange };
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
