// What both exporters start from: the file analysed and run by the engine (the values, random
// numbers and first-call gate inputs the scripts embed), or the reason it cannot be exported.
import { analyzeSession, type AnalysisSession } from '../analyze';
import type { Execution } from '../engine/run';
import type { GateCall, Graph } from '../engine/graph';
import type { Assign, GateDecl, Program, TensorDecl } from '../lang/ast';
import type { GateInfo, Resolution } from '../lang/resolve';
import type { Tensor } from '../tensor/tensor';
import { SourceComments } from './sourceComments';

export interface ExportOptions {
  /** The .grad file's name: messages, the scripts' headers, and the default script name. */
  fileName?: string;
  /** Overrides the file's `seed` (as `gradlens check --seed`). */
  seed?: number;
  /** Overrides dimension sizes (as `--dim`). */
  dims?: Record<string, number>;
  /** The script's file name (default `<name>_torch.py` / `<name>_numpy.py`); the .npz is named after it. */
  scriptName?: string;
  /** Tensors up to this many elements are written into the script; larger ones go to the .npz. */
  embedLimit?: number;
}

export type ExportFile = { path: string; content: string } | { path: string; bytes: Uint8Array };

/**
 * Why an export failed: the file has errors, it uses something the exporter cannot write (e.g.
 * dropout inside a gate), or the exporter itself failed.
 */
export type ExportFailure = 'errors' | 'unsupported' | 'internal';

export type ExportResult = { ok: true; files: ExportFile[]; warnings: string[] } | { ok: false; reason: ExportFailure; error: string; warnings: string[] };

export const DEFAULT_EMBED_LIMIT = 100;

/**
 * Errors that only report on the numbers do not stop an export: a failed `expect` line, and a
 * failed gradient check (checks are off here; the exported script runs its own).
 */
const NON_BLOCKING = new Set(['expect-failed', 'gradcheck-failed']);

export interface ExportModel {
  text: string;
  /** Display name of the .grad file. */
  fileName: string;
  /** The file name without directories and without `.grad`: `two-layer-net`. */
  stem: string;
  session: AnalysisSession;
  program: Program;
  res: Resolution;
  graph: Graph;
  ex: Execution;
  root: Assign;
  comments: SourceComments;
}

export function prepare(text: string, options: ExportOptions): ExportModel | { error: string; reason: ExportFailure } {
  const fileName = options.fileName ?? 'network.grad';
  const session = analyzeSession(text, { fileName, seed: options.seed, dims: options.dims, gradcheck: false });
  const errors = session.analysis.diagnostics.filter((d) => d.severity === 'error' && !NON_BLOCKING.has(d.code));
  if (errors.length) {
    const shown = errors.slice(0, 5).map((d) => `  ${fileName}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message} [${d.code}]`);
    const more = errors.length > shown.length ? `\n  … and ${errors.length - shown.length} more` : '';
    return { reason: 'errors', error: `${fileName} has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} before exporting (\`gradlens check\` lists them):\n${shown.join('\n')}${more}` };
  }
  const { resolution: res, graph, execution: ex } = session;
  if (!res || !graph || !ex) return { reason: 'errors', error: `${fileName} could not be run, so there are no values to export` };
  const root = res.root;
  if (!root || graph.root === null) return { reason: 'errors', error: `${fileName} has nothing to differentiate: the last assignment is the backward root` };
  return { text, fileName, stem: stemOf(fileName), session, program: session.program, res, graph, ex, root, comments: new SourceComments(text) };
}

function stemOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return base.replace(/\.grad$/i, '') || 'network';
}

function decls(m: ExportModel): TensorDecl[] {
  return m.program.statements.filter((s): s is TensorDecl => s.kind === 'decl' && m.res.definitions.get(s.name) === s);
}

/** Gates as declared (the first declaration of each name). */
export function gates(m: ExportModel): { decl: GateDecl; info: GateInfo }[] {
  const out: { decl: GateDecl; info: GateInfo }[] = [];
  for (const s of m.program.statements) {
    if (s.kind !== 'gate') continue;
    const info = m.res.gates.get(s.name);
    if (info && info.decl === s) out.push({ decl: s, info });
  }
  return out;
}

export function gradOf(m: ExportModel, name: string): Tensor | null {
  const id = m.graph.named.get(name);
  return id === undefined ? null : m.ex.grads[id];
}

/** The first call of a gate (the inputs the gradient checks use), or null if it is never called. */
export function firstCall(m: ExportModel, gate: GateInfo): GateCall | null {
  return m.graph.gateCalls.find((c) => c.gate === gate) ?? null;
}

/** Leaves GradLens differentiates: params and float inputs, in declaration order. */
export function differentiable(m: ExportModel): TensorDecl[] {
  return decls(m).filter((d) => {
    const id = m.graph.named.get(d.name);
    return id !== undefined && m.graph.nodes[id].requiresGrad && d.declKind !== 'const';
  });
}
