// The generated part of the hostile corpus: files too large to commit, and file names that cannot
// be committed (control characters). `writeGenerated(dir)` writes them; the committed ones are the
// .grad files beside this one. Used by scripts/hostile.ts (the measured run), the CLI test
// (test/unit/hostile.test.ts) and the VS Code integration test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GeneratedFile {
  name: string;
  /** What it attacks, for the report. */
  about: string;
  text: string;
}

function lines(count: number, line: (i: number) => string): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(line(i));
  return `${out.join('\n')}\n`;
}

export function generatedFiles(): GeneratedFile[] {
  return [
    {
      name: 'million-lines.grad',
      about: 'a million statements, each depending on the previous one',
      text: `input x0 = 1\n${lines(999_999, (i) => `x${i + 1} = x${i} * 1.00001 + ${i % 7}`)}`,
    },
    {
      name: 'million-comments.grad',
      about: 'a million comment lines around a small network',
      text: `input x = 2\n${lines(1_000_000, (i) => `# comment ${i}`)}loss = x * x\n`,
    },
    {
      name: 'long-line.grad',
      about: 'one statement of 500,000 terms',
      text: `input x = 1\nloss = ${Array.from({ length: 500_000 }, () => 'x').join(' + ')}\n`,
    },
    {
      name: 'garbage.grad',
      about: 'a million lines of characters that are not .grad',
      text: lines(1_000_000, () => '§ ¤ ¶'),
    },
    {
      name: 'deep-parens.grad',
      about: '10^5 nested parentheses',
      text: `input x = 1\ny = ${'('.repeat(100_000)}x${')'.repeat(100_000)}\n`,
    },
    {
      name: 'huge-literal.grad',
      about: 'a list literal of a million numbers',
      text: `param W = [${Array.from({ length: 1_000_000 }, (_, i) => i % 10).join(', ')}]\nloss = sum(W * W)\n`,
    },
    {
      name: 'many-names.grad',
      about: '20,000 inputs summed in one statement',
      text: `${lines(20_000, (i) => `input v${i} = ${i}`)}y = ${Array.from({ length: 20_000 }, (_, i) => `v${i}`).join(' + ')}\n`,
    },
    {
      name: 'control-chars.grad',
      about: 'ESC, NUL and bidi controls in names and comments (the CLI must not echo them raw)',
      text: 'input x = 1 # \u001b[31mred\u001b[0m \u0000 \u202eevil\u202c\ny\u001b[2J = x * 2\nz = \u202ex\u202c * 3\n',
    },
    {
      name: 'gates-15.grad',
      about: '15 levels of gates calling the previous one twice: 196,607 nodes, just under the 200,000-node cap (built and run)',
      text: nestedGates(15),
    },
    {
      name: 'gate-body-20000.grad',
      about: 'a gate whose body has 20,000 statements, called twice (body statements do not count against the statement cap)',
      text: `input x: [4] ~ randn\ngate big(a: [4]) -> out: [4] {\n  r0 = a * 1.0001\n${lines(19_999, (i) => `  r${i + 1} = r${i} * 1.0001`)}  out = r19999\n}\nloss = sum(big(x) + big(x))\n`,
    },
    {
      name: 'cap-mid-line.grad',
      about: 'the 16 Mi character cap falls inside a statement (read up to the line before it, one error)',
      text: capMidLine(),
    },
  ];
}

/** Gates g1…g`depth`, each calling the previous one twice. */
function nestedGates(depth: number): string {
  const out = ['dims Q = 3', 'input x: [Q] ~ randn', 'gate g0(a: [Q]) -> out: [Q] {', '  out = tanh(a)', '}'];
  for (let k = 1; k <= depth; k++) out.push(`gate g${k}(a: [Q]) -> out: [Q] {`, `  out = g${k - 1}(a) + g${k - 1}(a)`, '}');
  out.push(`loss = sum(g${depth}(x))`);
  return `${out.join('\n')}\n`;
}

/** Comments up to 10 characters before the character cap, then a statement across it. */
function capMidLine(): string {
  const head = 'input x = 2\nloss0 = x * x\n';
  const filler = 16 * 2 ** 20 - 10 - head.length - 1;
  return `${head}${'#'.repeat(filler)}\nloss = x * x\n`;
}

/**
 * File names that break naive code: quotes, backslashes, a newline, non-ASCII, shell and Python
 * syntax, a bidi override, a terminal escape. Each holds the same small network.
 */
export const HOSTILE_NAMES: readonly string[] = [
  'net"""; print("INJECTED"); """.grad',
  "net'''; print('INJECTED'); '''.grad",
  'back\\slash\\"; print("INJECTED"); x = "\\.grad',
  'new\nline print("INJECTED").grad',
  'ünïcödé ∂L∂W — 网络.grad',
  '$(echo INJECTED) `echo INJECTED`.grad',
  'bidi \u202eDARG.txt.grad',
  'escape \u001b[31m red.grad',
  '#{print("INJECTED")} %s %d {0}.grad',
];

export const SMALL_NETWORK = `# A small network: its exports must run and print only their own report.
seed 1
dims N = 3, D = 4, C = 2
input X: [N, D]
input y: int[N] in 0..C
param W: [D, C] ~ xavier
gate affine(x: [B, K], w: [K, M]) -> out: [B, M] {
  out = x @ w
  backward {
    dx = dout @ w.T
    dw = x.T @ dout
  }
}
loss = softmax_ce(affine(X, W), y)
`;

/** Writes the generated files (and the hostile names, each with SMALL_NETWORK) into `dir`. */
export function writeGenerated(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of generatedFiles()) {
    writeFileSync(join(dir, f.name), f.text);
    written.push(join(dir, f.name));
  }
  return written;
}
