// "One op, one place": what checks and exporters need to know about an op is a trait on its
// definition (OpTraits in src/core/ops/op.ts), never a comparison of its id with a name. The scan
// below fails when code outside src/core/ops/ decides by op id; the other tests check that the
// traits promising an exact computation (same entries, pass-through, one random number per entry,
// the GEMM row/column structure) hold for every op declaring them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { identity } from '../../src/core/ops/internal';
import type { ForwardContext, OpDef } from '../../src/core/ops/op';
import { ALL_OPS } from '../../src/core/ops/registry';
import { gemm } from '../../src/core/tensor/matmul';
import { Tensor } from '../../src/core/tensor/tensor';
import { randomTensor, testRng } from './helpers/opcheck';

const root = join(__dirname, '..', '..');
const OPS_DIR = join('src', 'core', 'ops') + sep;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

// An op's id as read by code: op.id, op?.id, n.op.id, n.op?.id, n.op!.id.
const ID = String.raw`(?:\bop|\.op)[?!]?\.id\b`;
const STRING = String.raw`['"\`]`;
const OPERAND = String.raw`[\w.?!\[\]]*`;
const DECISIONS: { what: string; pattern: RegExp }[] = [
  { what: 'an op id compared with a string', pattern: new RegExp(String.raw`${ID}\s*[!=]==?\s*${STRING}|${STRING}\s*[!=]==?\s*${OPERAND}${ID}`) },
  { what: 'a switch on an op id', pattern: new RegExp(String.raw`switch\s*\(\s*${OPERAND}${ID}\s*\)`) },
  { what: 'an op id looked up in a list of names', pattern: new RegExp(String.raw`\.(?:has|includes|indexOf)\(\s*${OPERAND}${ID}\s*\)`) },
];

/** Decisions by op id in one file's text: `line: code — what`. */
function decisionsByOpId(text: string): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  // A variable holding an op id (`const op = n.op?.id`) counts as the id itself.
  const aliases = [...text.matchAll(new RegExp(String.raw`(?:const|let|var)\s+(\w+)\s*=\s*${OPERAND}${ID}\s*[;,\n]`, 'g'))].map((m) => m[1]);
  const aliasCompared = aliases.map((a) => new RegExp(String.raw`\b${a}\s*[!=]==?\s*${STRING}|${STRING}\s*[!=]==?\s*${a}\b|switch\s*\(\s*${a}\s*\)|\.(?:has|includes|indexOf)\(\s*${a}\s*\)`));
  lines.forEach((line, i) => {
    for (const d of DECISIONS) if (d.pattern.test(line)) found.push(`${i + 1}: ${line.trim()} — ${d.what}`);
    for (const p of aliasCompared) if (p.test(line)) found.push(`${i + 1}: ${line.trim()} — a variable holding an op id compared with a name`);
  });
  return found;
}

test('the scan finds every form of a decision by op id', () => {
  const bad = [
    "if (n.op?.id === 'matmul') x++;",
    "if ('relu' !== node.op.id) x++;",
    'const act = op.id === `tanh`;',
    "switch (n.op!.id) { case 'mul': break; }",
    "const SAME = new Set(['identity']); SAME.has(op.id);",
    "const op = n.op?.id;\nif (op === 'elu') x++;",
    "const kind = g.op?.id;\nswitch (kind) {}",
  ];
  for (const text of bad) assert.notDeepEqual(decisionsByOpId(text), [], text);
  const fine = ['const tpl = templates[op.id];', 'message: `of this ${op.name}`', "if (n.id === 3 || node.kind === 'op') x++;", 'if (op.matrixProduct && n.sizes.length === 2) x++;', 'const key = `${n.op.id}|${attrs}`;'];
  for (const text of fine) assert.deepEqual(decisionsByOpId(text), [], text);
});

test('no code outside src/core/ops/ decides anything by comparing an op id with a name', () => {
  const files = [...sources(join(root, 'src')), ...sources(join(root, 'webview'))].map((f) => relative(root, f)).filter((f) => !f.startsWith(OPS_DIR));
  assert.ok(files.length > 50, 'the scan found the sources');
  const found = files.flatMap((f) => decisionsByOpId(readFileSync(join(root, f), 'utf8')).map((d) => `${f}:${d}`));
  assert.deepEqual(found, [], 'declare a trait on the op (OpTraits in src/core/ops/op.ts) and read it instead');
});

// ------------------------------------------------------------------ traits hold what they promise

const OPS: readonly OpDef[] = [...ALL_OPS, identity];

function context(draws: number[] = []): ForwardContext {
  const rng = testRng(5);
  return {
    trackKinks: false,
    random(count) {
      draws.push(count);
      return Float64Array.from({ length: count }, rng);
    },
  };
}

/** A well-typed call of a one-tensor op for a [3, 4] input: the attributes it needs. */
function unaryAttrs(op: OpDef) {
  if (op.signature.some((p) => p.kind === 'shape')) return { shape: { kind: 'shape' as const, dims: ['infer' as const] } };
  return Object.fromEntries(op.signature.filter((p) => p.kind !== 'tensor' && p.default !== undefined).map((p) => [p.name, p.default ?? null]));
}

test('sameEntries and marker ops give back their input entries in the same order', () => {
  const declaring = OPS.filter((op) => op.sameEntries || op.marker);
  assert.ok(declaring.length >= 2);
  for (const op of declaring) {
    const x = randomTensor([3, 4], testRng(3));
    const out = op.forward([x], unaryAttrs(op), context()).value;
    assert.deepEqual([...out.data], [...x.data], op.id);
  }
});

test('stochastic ops draw one random number per output entry', () => {
  const declaring = OPS.filter((op) => op.stochastic);
  assert.ok(declaring.length >= 1);
  for (const op of declaring) {
    const draws: number[] = [];
    const out = op.forward([randomTensor([3, 4], testRng(3))], unaryAttrs(op), context(draws)).value;
    assert.deepEqual(draws, [out.size], op.id);
  }
});

test('matrixProduct ops compute 2-D products row by row and column by column as gemm does', () => {
  const declaring = OPS.filter((op) => op.matrixProduct);
  assert.ok(declaring.length >= 1);
  const [M, K, N] = [5, 7, 3];
  const rng = testRng(9);
  for (const op of declaring) {
    const a = randomTensor([M, K], rng);
    const b = randomTensor([K, N], rng);
    const out = op.forward([a, b], {}, context()).value;
    assert.deepEqual([...out.shape], [M, N], op.id);
    // Row i alone, and column j alone (as a transposed operand): the same bits as the whole product.
    for (let i = 0; i < M; i++) {
      const row = new Float64Array(N);
      gemm(1, N, K, a.data.slice(i * K, (i + 1) * K), 0, K, 1, b.data, 0, N, 1, row, 0, false);
      assert.deepEqual([...row], [...out.data.slice(i * N, (i + 1) * N)], `${op.id}: row ${i}`);
    }
    for (let j = 0; j < N; j++) {
      const col = Float64Array.from({ length: K }, (_, k) => b.data[k * N + j]);
      const res = new Float64Array(M);
      gemm(M, 1, K, a.data, 0, K, 1, col, 0, 1, K, res, 0, false);
      assert.deepEqual([...res], Array.from({ length: M }, (_, i) => out.data[i * N + j]), `${op.id}: column ${j}`);
    }
  }
});

test('activation traits are consistent: saturating units take xavier, dying ones he', () => {
  for (const op of OPS) {
    const act = op.activation;
    if (!act) continue;
    if (act.saturatesAt) assert.equal(act.init, 'xavier', op.id);
    if (act.dies) assert.equal(act.init, 'he', op.id);
    const x = new Tensor([4], Float64Array.from([-3, -0.5, 0.5, 3]));
    const y = op.forward([x], unaryAttrs(op), context()).value.data;
    if (act.dies) assert.deepEqual([...y.slice(0, 2)], [0, 0], `${op.id} is 0 below 0`);
    if (act.saturatesAt) for (const v of y) assert.ok(v > act.saturatesAt[0] && v < act.saturatesAt[1], `${op.id}: ${v} inside its saturation values`);
  }
});
