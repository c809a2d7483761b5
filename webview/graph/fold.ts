// What the graph hides so the rest reads at a glance: scalar literals and consts become part of
// their consumer's label (`* reg`, `/ 2`), and a branch that reads only params and consts and is
// then added into the data path (a regularisation term: `reg * (l2(W1) + l2(W2))`) becomes one
// box that opens on a click. Pure, so it is unit-tested without a browser.
import type { GraphViewModel, ViewEdge, ViewNode } from '../../src/core/browser';

export const GROUP_PREFIX = 'grp:';
/** A reference to a leaf drawn beside a regularisation branch (`ref:<leaf>:<consumer>`). */
export const REF_PREFIX = 'ref:';

export interface FoldOptions {
  /** False: draw every node (the toolbar's Unfold). */
  fold: boolean;
  /** Groups the user opened (by group id), drawn as their nodes. */
  expanded: ReadonlySet<string>;
}

export interface FoldedGraph {
  view: GraphViewModel;
  /** Group id → the ids of the nodes it stands for. */
  groups: Map<string, string[]>;
  /** Node id → the group that holds it (when the group is closed, that box is drawn). */
  groupOf: Map<string, string>;
}

/** A scalar leaf the consumer's label can carry: a literal, or a const of shape []. */
function isFoldableLeaf(n: ViewNode): boolean {
  return (n.kind === 'literal' || n.kind === 'const') && n.shape.length === 0 && !n.isRoot;
}

function foldLeaves(view: GraphViewModel): GraphViewModel {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const leaves = new Set(view.nodes.filter(isFoldableLeaf).map((n) => n.id));
  const consumers = new Set(view.edges.filter((e) => leaves.has(e.from)).map((e) => e.to));
  // A leaf nothing consumes stays visible (it would vanish otherwise).
  const used = new Set(view.edges.filter((e) => leaves.has(e.from)).map((e) => e.from));
  const operands = new Map<string, string[]>();
  for (const e of view.edges) {
    if (!used.has(e.from)) continue;
    const leaf = byId.get(e.from);
    if (!leaf) continue;
    operands.set(e.to, [...(operands.get(e.to) ?? []), leaf.kind === 'const' ? (leaf.name ?? leaf.label) : leaf.label]);
  }
  const nodes = view.nodes
    .filter((n) => !used.has(n.id))
    .map((n) => (consumers.has(n.id) && n.kind === 'op' ? { ...n, label: `${n.label} ${(operands.get(n.id) ?? []).join(', ')}` } : n));
  // A gate consumer keeps its label (its box says the gate's name); the folded operand is in the tooltip.
  return { ...view, nodes, edges: view.edges.filter((e) => !used.has(e.from)) };
}

/** Nodes with an input (data) among their ancestors, in the order of the view (topological). */
function dataDependent(view: GraphViewModel): Set<string> {
  const preds = new Map<string, string[]>();
  for (const e of view.edges) preds.set(e.to, [...(preds.get(e.to) ?? []), e.from]);
  // The view lists nodes in evaluation order, so one pass settles it; the loop is only a guard.
  const data = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of view.nodes) {
      if (data.has(n.id)) continue;
      if (n.kind === 'input' || (preds.get(n.id) ?? []).some((p) => data.has(p))) {
        data.add(n.id);
        changed = true;
      }
    }
  }
  return data;
}

/** Regularisation-like branches: connected ops on params only, feeding a node of the data path. */
export function findGroups(view: GraphViewModel): Map<string, string[]> {
  const data = dataDependent(view);
  const paramOnly = new Set(view.nodes.filter((n) => (n.kind === 'op' || n.kind === 'gate') && !data.has(n.id) && !n.isRoot).map((n) => n.id));
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const sink of view.nodes) {
    if (!paramOnly.has(sink.id) || seen.has(sink.id)) continue;
    // A sink: its consumers are all on the data path.
    const outs = view.edges.filter((e) => e.from === sink.id);
    if (outs.length === 0 || outs.some((e) => !data.has(e.to))) continue;
    const members: string[] = [];
    const stack = [sink.id];
    while (stack.length) {
      const id = stack.pop() as string;
      if (seen.has(id) || !paramOnly.has(id)) continue;
      seen.add(id);
      members.push(id);
      for (const e of view.edges) if (e.to === id) stack.push(e.from);
    }
    if (members.length >= 2) groups.set(`${GROUP_PREFIX}${sink.id}`, members);
  }
  return groups;
}

function worst(nodes: ViewNode[]): Pick<ViewNode, 'status' | 'problem'> {
  return nodes.find((n) => n.status === 'error') ?? nodes.find((n) => n.status === 'warning') ?? { status: 'ok', problem: null };
}

/**
 * A param the data path also reads enters a regularisation branch through a reference drawn beside
 * the branch (its name again, dashed), not an edge from the top of the graph to the loss at the
 * bottom crossing everything in between. The reference's edge keeps the value and the gradient.
 */
function referenceLeaves(view: GraphViewModel, groupOf: ReadonlyMap<string, string>): GraphViewModel {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const inBranch = (id: string) => groupOf.has(id) || id.startsWith(GROUP_PREFIX);
  const elsewhere = new Set(view.edges.filter((e) => !inBranch(e.to)).map((e) => e.from));
  const refs: ViewNode[] = [];
  const edges = view.edges.map((e) => {
    const leaf = byId.get(e.from);
    if (!leaf || leaf.kind !== 'param' || !inBranch(e.to) || !elsewhere.has(leaf.id)) return e;
    const ref = { ...leaf, id: `${REF_PREFIX}${leaf.id}:${e.to}` };
    refs.push(ref);
    return { ...e, from: ref.id };
  });
  if (refs.length === 0) return view;
  // Each reference just before its consumer, so the order stays topological.
  const nodes = view.nodes.flatMap((n) => [...refs.filter((r) => r.id.endsWith(`:${n.id}`)), n]);
  return { ...view, nodes, edges };
}

export function foldGraph(view: GraphViewModel, options: FoldOptions): FoldedGraph {
  if (!options.fold) return { view, groups: new Map(), groupOf: new Map() };
  const leafless = foldLeaves(view);
  const groups = findGroups(leafless);
  const groupOf = new Map<string, string>();
  for (const [gid, members] of groups) for (const m of members) groupOf.set(m, gid);
  const closed = new Map([...groups].filter(([gid]) => !options.expanded.has(gid)));
  if (closed.size === 0) return { view: referenceLeaves(leafless, groupOf), groups, groupOf };
  const boxOf = (id: string) => {
    const gid = groupOf.get(id);
    return gid && closed.has(gid) ? gid : id;
  };
  const byId = new Map(leafless.nodes.map((n) => [n.id, n]));
  const nodes: ViewNode[] = [];
  for (const n of leafless.nodes) {
    const box = boxOf(n.id);
    if (box === n.id) {
      nodes.push(n);
      continue;
    }
    if (n.id !== box.slice(GROUP_PREFIX.length)) continue;
    // The group's box stands where its sink stood (the order stays topological) and shows its value.
    const members = (closed.get(box) ?? []).map((id) => byId.get(id)).filter((m): m is ViewNode => m !== undefined);
    nodes.push({ ...n, ...worst(members), id: box, kind: 'op', label: 'regularisation', name: n.name });
  }
  const edges: ViewEdge[] = [];
  const seen = new Set<string>();
  for (const e of leafless.edges) {
    const from = boxOf(e.from);
    const to = boxOf(e.to);
    if (from === to) continue;
    // Several edges from one param into the closed group are one edge into its box.
    const key = `${from}→${to}`;
    if (to.startsWith(GROUP_PREFIX) && seen.has(key)) continue;
    seen.add(key);
    edges.push({ ...e, from, to });
  }
  return { view: referenceLeaves({ ...leafless, nodes, edges }, groupOf), groups, groupOf };
}
