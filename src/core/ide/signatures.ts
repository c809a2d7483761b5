// Signatures of operations and gates as the language reference prints them
// (`sum(x, axis=none, keepdims=false)`), with the offsets of each parameter in the label, and their
// documentation — all read from the op table and the gate's header, never restated.
import { RANDOM_INITS } from '../engine/init';
import type { GateDecl, GateParam } from '../lang/ast';
import { formatParamDefault as formatDefault, type OpDef, type ParamSpec } from '../ops/op';

export interface SignatureParameter {
  /** The parameter as it appears in the signature label (`axis=none`). */
  label: string;
  /** [start, end) of `label` inside the signature label (LSP accepts offsets, which are unambiguous). */
  labelOffsets: [number, number];
  documentation: string;
}

export interface SignatureInfo {
  label: string;
  documentation: string;
  parameters: SignatureParameter[];
}


/** One parameter of an op's usage: `x`, `[xs…]` for a list of tensors, `axis=none`. */
export function paramUsage(p: ParamSpec): string {
  if (p.kind === 'tensors') return `[${p.name}…]`;
  return p.default === undefined ? p.name : `${p.name}=${formatDefault(p.default)}`;
}

/** Whether a function-call op (not an operator such as `+` or `.T`). */
export function isCallable(op: OpDef): boolean {
  return /^[A-Za-z_]\w*$/.test(op.name);
}

function build(name: string, params: { label: string; documentation: string }[], suffix: string, documentation: string): SignatureInfo {
  let label = `${name}(`;
  const parameters: SignatureParameter[] = params.map((p, i) => {
    if (i > 0) label += ', ';
    const start = label.length;
    label += p.label;
    return { label: p.label, labelOffsets: [start, label.length], documentation: p.documentation };
  });
  label += `)${suffix}`;
  return { label, documentation, parameters };
}

const KIND_HINT: Record<ParamSpec['kind'], string> = {
  tensor: 'tensor',
  tensors: 'list of tensors',
  int: 'integer literal',
  number: 'number literal',
  bool: '`true` or `false`',
  axes: 'axis or list of axes',
  ints: 'list of integers',
  dim: 'dimension name or integer',
  shape: 'shape: dimension names, integers, one -1',
};

export function paramDocumentation(p: ParamSpec): string {
  const opt = p.default === undefined ? '' : ` · default \`${formatDefault(p.default)}\``;
  return `${p.doc} · ${KIND_HINT[p.kind]}${p.labels ? ' of integer labels' : ''}${opt}`;
}

/** Markdown for an op: what it computes and how it routes gradients (the hover text of the reference). */
export function opMarkdown(op: OpDef): string {
  const parts = [op.summary, `**Gradient:** ${op.explain}`];
  if (op.kinks) parts.push(`**At kinks:** ${op.kinks}`);
  if (op.steps) parts.push(`**At steps:** ${op.steps}`);
  if (op.backwardOnly) parts.push('_Only inside `backward { … }`._');
  return parts.join('\n\n');
}

export function opSignature(op: OpDef): SignatureInfo {
  return build(
    op.name,
    op.signature.map((p) => ({ label: paramUsage(p), documentation: paramDocumentation(p) })),
    '',
    opMarkdown(op),
  );
}

/** `sum(x, axis=none, keepdims=false)`: the op's usage as the language reference prints it. */
export function opUsage(op: OpDef): string {
  return opSignature(op).label;
}

/** `X: [B, K]`, `y: int[N]`, printed from the tree so odd spacing in the source does not leak. */
export function gateParamLabel(p: GateParam): string {
  const shape = (p.type.shape ?? []).map((d) => (d.kind === 'name' ? d.name : String(d.value))).join(', ');
  return `${p.name}: ${p.type.isInt ? 'int' : ''}[${shape}]`;
}

/** The gate's header as a signature: `affine(X: [B, K], W: [K, M], b: [M]) -> out: [B, M]`. */
export function gateSignature(g: GateDecl): SignatureInfo {
  const how = g.backward ? 'hand-written backward pass' : 'differentiated automatically';
  const dims = new Set<string>();
  for (const p of [...g.params, g.output]) for (const d of p.type.shape ?? []) if (d.kind === 'name') dims.add(d.name);
  const bound = dims.size ? ` Its dimensions ${[...dims].map((d) => `\`${d}\``).join(', ')} are bound at each call by the argument shapes.` : '';
  return build(
    g.name,
    g.params.map((p) => ({
      label: gateParamLabel(p),
      documentation: `Input \`${p.name}\` of gate \`${g.name}\`${p.type.isInt ? ' (integer labels: no gradient)' : `; its gradient is \`d${p.name}\``}.`,
    })),
    ` -> ${gateParamLabel(g.output)}`,
    `Gate \`${g.name}\` (${how}).${bound}`,
  );
}

/** A random init by name (`he`, `normal`), or undefined. */
export function initSpec(name: string): { args: string[]; doc: string } | undefined {
  return Object.prototype.hasOwnProperty.call(RANDOM_INITS, name) ? RANDOM_INITS[name] : undefined;
}

/** `normal(std)` as a signature. */
export function initSignature(name: string): SignatureInfo | null {
  const init = initSpec(name);
  if (!init) return null;
  return build(
    name,
    init.args.map((a) => ({ label: a, documentation: `argument \`${a}\` of the \`${name}\` init` })),
    '',
    `Random init: ${init.doc}.`,
  );
}
