// Signature help inside the parentheses of an op, a gate or an init call: the signature as the
// language reference prints it, each parameter's documentation from the op table, and which
// parameter the cursor is on (a keyword argument maps to its parameter by name).
import type { GateDecl } from '../lang/ast';
import { chooseOverload, FUNCTIONS } from '../ops/registry';
import { cursorContext } from './context';
import { ideDocument } from './document';
import { gateSignature, initSignature, opSignature, type SignatureInfo } from './signatures';

export interface SignatureHelp extends SignatureInfo {
  /** Index into `parameters`, or null when the cursor is on no parameter (a keyword it does not have). */
  activeParameter: number | null;
}

export function signatureHelp(text: string, offset: number): SignatureHelp | null {
  const doc = ideDocument(text);
  const ctx = cursorContext(doc, offset);
  const call = ctx.call;
  if (!call || ctx.inComment) return null;
  const active = (names: string[]): number | null => {
    if (call.keyword !== null) {
      const i = names.indexOf(call.keyword);
      return i >= 0 ? i : null;
    }
    if (call.keywordBefore || call.positionalBefore >= names.length) return null;
    return call.positionalBefore;
  };
  const overloads = FUNCTIONS.get(call.callee);
  const gate = overloads ? undefined : doc.index.gates.get(call.callee);
  if (gate) {
    const decl = gate.def as GateDecl;
    return { ...gateSignature(decl), activeParameter: active(decl.params.map((p) => p.name)) };
  }
  if (overloads) {
    const op = chooseOverload(overloads, call.positionalTotal);
    return { ...opSignature(op), activeParameter: active(op.signature.map((p) => p.name)) };
  }
  const init = initSignature(call.callee);
  return init ? { ...init, activeParameter: active(init.parameters.map((p) => p.label)) } : null;
}
