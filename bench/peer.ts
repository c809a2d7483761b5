// The peer process of the bench (bench/torch_peer.py: PyTorch and NumPy) and what it runs on. A
// peer is only worth comparing with at its best: on an optimised BLAS (Debian's python3-torch runs
// on the netlib reference BLAS unless libopenblas0-pthread is installed — a peer 3–10× slower
// than what its users run), with the kernel that fits this CPU, and at its best thread count.
// Here: installing what is missing, choosing OPENBLAS_CORETYPE by timing a GEMM under each
// candidate, and the label a row gives its peer.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const PYTHON = process.env.GRADLENS_PYTHON ?? '/usr/bin/python3';

/** What the peer process reports about its BLAS (torch_peer.py: blas_info). */
export interface BlasFacts {
  blas: 'openblas' | 'mkl' | 'blis' | 'reference';
  blas_libraries: string[];
  corename?: string;
  openblas_config?: string;
  cpu_flags: string[];
  torch_blas_info?: string | null;
  torch_cpu_capability?: string | null;
  coretype_env?: string | null;
  gflops_1?: number;
  gflops_all?: number;
}

/** The environment the peer runs in and why. */
export interface PeerSetup {
  env: NodeJS.ProcessEnv;
  /** OPENBLAS_CORETYPE set for the peer, or null (OpenBLAS' own detection). */
  coretype: string | null;
  /** OPENBLAS_CORETYPE of the bench's own environment, dropped for the peer (probed like the others). */
  inherited: string | null;
  /** Each probed candidate: its kernel and 512² float64 GEMM GFLOP/s on 1 thread and on all cores. */
  probes: { coretype: string | null; corename: string; gflops1: number; gflopsAll: number }[];
  /** Why the chosen one. */
  why: string;
}

export function torchInstalled(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
}

/** Whether the reference BLAS is the one libblas.so.3 resolves to (Debian's alternatives). */
function openblasInstalled(): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'libopenblas0-pthread'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** PyTorch and OpenBLAS from Debian when missing (scripts/setup-tools.sh needs root for apt-get). */
export function ensurePeerTools(root: string): string | null {
  if (!torchInstalled() || !openblasInstalled()) {
    console.log('bench: PyTorch or OpenBLAS is missing; installing them with scripts/setup-tools.sh');
    spawnSync('bash', [join(root, 'scripts', 'setup-tools.sh'), '--no-code-server'], { stdio: 'inherit' });
  }
  return torchInstalled() ? null : `PyTorch is not installed and could not be installed (${PYTHON} cannot import torch and numpy; as root: apt-get install python3-torch python3-numpy libopenblas0-pthread)`;
}

/** The CPU's flags (/proc/cpuinfo). */
export function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set((line?.split(':')[1] ?? '').trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

/** OpenBLAS' kernel for a CPU with these flags (x86-64), or null when none is better than the default. */
export function expectedCoretype(flags: Set<string>): string | null {
  if (flags.has('avx512f')) return 'SkylakeX';
  if (flags.has('avx2')) return 'Haswell';
  if (flags.has('avx')) return 'Sandybridge';
  return null;
}

/** Kernels at least as wide as each expected one (OpenBLAS 0.3's names, lower case). */
const AT_LEAST: Record<string, string[]> = {
  skylakex: ['skylakex', 'cooperlake', 'sapphirerapids'],
  haswell: ['haswell', 'zen', 'skylakex', 'cooperlake', 'sapphirerapids'],
  sandybridge: ['sandybridge', 'haswell', 'zen', 'skylakex', 'cooperlake', 'sapphirerapids'],
};

/** True when OpenBLAS picked a narrower kernel than the CPU supports (its detection fell back). */
export function fellBack(corename: string, expected: string | null): boolean {
  if (expected === null) return false;
  return !(AT_LEAST[expected.toLowerCase()] ?? [expected.toLowerCase()]).includes(corename.toLowerCase());
}

function probe(here: string, env: NodeJS.ProcessEnv): BlasFacts | null {
  const r = spawnSync(PYTHON, [join(here, 'torch_peer.py'), '--probe'], { encoding: 'utf8', env, timeout: 5 * 60_000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as BlasFacts;
  } catch {
    return null;
  }
}

/**
 * glibc's malloc in the peer's process kept from returning memory to the system between calls, as
 * PyTorch's CPU tuning advice has it (a caching allocator: jemalloc or tcmalloc preloaded). With
 * the defaults every step's large gradients were mmap'd, faulted in and unmapped again: torch's
 * mlp2 step took 3.9–16.5 ms (medians of six fresh processes, single steps 2.5 to 45 ms), with these
 * 2.9–3.2 ms. The same values as `npm run bench:op-cost` gives Node. GradLens' own process runs with
 * the defaults, as it ships.
 */
export const PEER_MALLOC: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '1073741824', MALLOC_TOP_PAD_: '67108864' };

/**
 * The peer's environment: OpenBLAS' own detection, and the kernel this CPU's flags call for when
 * the detection fell back (or the bench's environment forces another one), each timed once on a
 * 512² GEMM; the faster on one thread wins; malloc as PEER_MALLOC. Only the peer's environment changes.
 */
export function choosePeerSetup(here: string): PeerSetup {
  const inherited = process.env.OPENBLAS_CORETYPE ?? null;
  const base: NodeJS.ProcessEnv = { ...process.env, ...PEER_MALLOC };
  delete base.OPENBLAS_CORETYPE;
  const own = probe(here, base);
  const probes: PeerSetup['probes'] = [];
  const record = (coretype: string | null, f: BlasFacts | null) => {
    if (f?.corename) probes.push({ coretype, corename: f.corename, gflops1: f.gflops_1 ?? 0, gflopsAll: f.gflops_all ?? 0 });
  };
  record(null, own);
  if (!own || own.blas !== 'openblas' || !own.corename) return { env: base, coretype: null, inherited, probes, why: own ? `the BLAS is ${own.blas}, not OpenBLAS: no kernel to choose` : 'the probe failed' };
  const expected = expectedCoretype(cpuFlags());
  const candidates = new Set<string>();
  if (expected && fellBack(own.corename, expected)) candidates.add(expected);
  if (inherited && inherited.toLowerCase() !== own.corename.toLowerCase()) candidates.add(inherited);
  for (const c of candidates) record(c, probe(here, { ...base, OPENBLAS_CORETYPE: c }));
  // By the one-thread figure: the kernel's own speed. Most rows' peer is fastest on one thread, and
  // the all-core figure of a 2-core shared machine is noisy (a run picked Haswell for its 99 GFLOP/s
  // on all cores over Cooperlake's 83, then timed the rows on one thread, where Haswell does 49
  // and Cooperlake 84: a peer below its best).
  const winner = probes.reduce((a, b) => (b.gflops1 > a.gflops1 ? b : a));
  const why =
    probes.length === 1
      ? `OpenBLAS detects ${own.corename}, which fits this CPU's flags${expected ? ` (expected ${expected} or wider)` : ''}`
      : `timed once each: ${probes.map((p) => `${p.coretype ? `OPENBLAS_CORETYPE=${p.coretype}` : 'own detection'} → ${p.corename} ${p.gflops1.toFixed(1)} GFLOP/s on 1 thread, ${p.gflopsAll.toFixed(1)} on all cores`).join('; ')}`;
  const env = winner.coretype ? { ...base, OPENBLAS_CORETYPE: winner.coretype } : base;
  return { env, coretype: winner.coretype, inherited, probes, why };
}

/** A row's peer: "torch" or "numpy", and never without a warning when on the reference BLAS. */
export function peerLabel(kind: 'torch' | 'numpy', blas: string | undefined): string {
  return blas === 'reference' ? `${kind} (reference BLAS — crippled)` : kind;
}

/** "OpenBLAS 0.3.21 SkylakeX" and the like, for the tables. */
export function blasText(info: Partial<BlasFacts> | null): string {
  if (!info?.blas) return 'unknown BLAS';
  if (info.blas === 'reference') return 'netlib reference BLAS';
  if (info.blas === 'openblas') {
    const version = /OpenBLAS ([\d.]+)/.exec(info.openblas_config ?? '')?.[1];
    return `OpenBLAS${version ? ` ${version}` : ''} ${info.corename ?? '(kernel unknown)'}`;
  }
  return info.blas;
}

export type PeerAnswer = Record<string, unknown> & { error?: string };

/** bench/torch_peer.py as a long-lived process: one JSON request and answer per line. */
export class Peer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((a: PeerAnswer) => void)[] = [];

  constructor(here: string, env: NodeJS.ProcessEnv) {
    this.proc = spawn(PYTHON, [join(here, 'torch_peer.py')], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.proc.stderr.on('data', (d: Buffer) => process.stderr.write(`torch_peer: ${d.toString()}`));
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as PeerAnswer));
  }

  ask(req: Record<string, unknown>): Promise<PeerAnswer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}
