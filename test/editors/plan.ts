// The plan shared by the suites that drive a real editor's LSP client (Neovim, Emacs): a workspace
// of the examples plus a few scratch files, a list of named steps the editor's driver runs in
// order, and the results it wrote, read back by step name.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** One step of a plan: what the driver does, on which file, at which position. */
export interface Step {
  action: string;
  file: string;
  line?: number;
  character?: number;
  [k: string]: unknown;
}

/** Scratch files every editor suite writes beside the examples: a misspelt name, half-typed code, a file to format. */
export const SCRATCH = {
  typo: 'input x = 2\ninput y = 3\nq = x * yy\n',
  messy: 'input   x=2\ny=x*x\n',
} as const;

export class EditorPlan {
  readonly dir: string;
  readonly steps: Step[] = [];
  private readonly at = new Map<string, number>();
  private results: Record<string, unknown>[] = [];

  /** A fresh workspace (`prefix` names its temporary folder) with the examples and `files` in it. */
  constructor(prefix: string, files: Record<string, string>) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    cpSync(join(ROOT, 'examples'), this.dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.dir, name), text);
  }

  /** A file of the workspace by its name in it. */
  path(file: string): string {
    return join(this.dir, file);
  }

  text(file: string): string {
    return readFileSync(this.path(file), 'utf8');
  }

  /** The 0-based line of `file` that starts with `prefix`. */
  lineOf(file: string, prefix: string): number {
    const i = this.text(file).split('\n').findIndex((l) => l.startsWith(prefix));
    assert.ok(i >= 0, `${file} has no line starting with ${prefix}`);
    return i;
  }

  /** The 0-based column of `word` on line `line` of `file`. */
  columnOf(file: string, line: number, word: string): number {
    const c = this.text(file).split('\n')[line].indexOf(word);
    assert.ok(c >= 0, `${file}:${line + 1} has no ${word}`);
    return c;
  }

  /** Adds a step; its result is `result(name)` once the editor has run the plan. */
  step(name: string, s: Step): void {
    this.at.set(name, this.steps.length);
    this.steps.push(s);
  }

  /** Writes the plan as JSON for the driver; returns the file. */
  write(): string {
    const file = this.path('plan.json');
    writeFileSync(file, JSON.stringify(this.steps));
    return file;
  }

  /** The driver's results, one per step in order. */
  setResults(results: Record<string, unknown>[]): void {
    this.results = results;
  }

  /** A step's result; a step the driver reports as failed (`error`) fails the caller's test with the editor's message. */
  result<T>(name: string, editor: string): T {
    const i = this.at.get(name);
    assert.ok(i !== undefined, `no step ${name}`);
    const r = this.results[i] as T & { error?: string };
    assert.equal(r?.error, undefined, `step ${name} failed in ${editor}: ${r?.error}`);
    return r;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The steps every editor suite starts with, in this order: diagnostics of a broken gate, of a
 * misspelt name and of a clean file, a hover, and completion in the half-typed `typing.grad`
 * (whose fourth line must be `h = rel`).
 */
export function commonSteps(plan: EditorPlan): void {
  plan.step('broken gate', { action: 'diagnostics', file: plan.path('broken/wrong-sign.grad') });
  plan.step('typo', { action: 'diagnostics', file: plan.path('typo.grad') });
  plan.step('clean', { action: 'diagnostics', file: plan.path('circuit.grad'), expect_empty: true });
  plan.step('hover q', { action: 'hover', file: plan.path('circuit.grad'), line: plan.lineOf('circuit.grad', 'q = '), character: 0 });
  plan.step('complete rel', { action: 'completion', file: plan.path('typing.grad'), line: 3, character: 7 });
}

/** Where `W1` is used (not declared) in two-layer-net.grad: its first use, on the `h1` line. */
export function useOfW1(plan: EditorPlan): { file: string; line: number; character: number } {
  const net = 'two-layer-net.grad';
  const line = plan.lineOf(net, 'h1 ');
  return { file: plan.path(net), line, character: plan.columnOf(net, line, 'W1') };
}

/** The steps every editor suite ends with: rename a gate's parameter, format `messy.grad`. */
export function closingSteps(plan: EditorPlan): void {
  const gateHeader = plan.lineOf('affine-gate.grad', 'gate affine(');
  plan.step('rename W', { action: 'rename', file: plan.path('affine-gate.grad'), line: gateHeader, character: plan.columnOf('affine-gate.grad', gateHeader, 'W:'), newName: 'Wt' });
  plan.step('format', { action: 'formatting', file: plan.path('messy.grad') });
}
