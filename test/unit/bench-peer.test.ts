// The bench's peer (bench/peer.ts): never called "torch" on the netlib reference BLAS, and the
// OpenBLAS kernel re-chosen only when OpenBLAS' detection fell back below what the CPU supports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blasText, expectedCoretype, fellBack, peerLabel } from '../../bench/peer';

test('a peer on the reference BLAS is labelled crippled, on OpenBLAS it is plain torch or numpy', () => {
  assert.equal(peerLabel('torch', 'reference'), 'torch (reference BLAS — crippled)');
  assert.equal(peerLabel('numpy', 'reference'), 'numpy (reference BLAS — crippled)');
  assert.equal(peerLabel('torch', 'openblas'), 'torch');
  assert.equal(peerLabel('numpy', 'mkl'), 'numpy');
  assert.equal(blasText({ blas: 'reference' }), 'netlib reference BLAS');
  assert.equal(blasText({ blas: 'openblas', corename: 'SkylakeX', openblas_config: 'OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH SkylakeX' }), 'OpenBLAS 0.3.21 SkylakeX');
  assert.equal(blasText(null), 'unknown BLAS');
});

test('the kernel the CPU flags call for, and when OpenBLAS fell back below it', () => {
  assert.equal(expectedCoretype(new Set(['avx512f', 'avx2', 'avx'])), 'SkylakeX');
  assert.equal(expectedCoretype(new Set(['avx2', 'avx'])), 'Haswell');
  assert.equal(expectedCoretype(new Set(['avx'])), 'Sandybridge');
  assert.equal(expectedCoretype(new Set(['sse4_2'])), null);
  assert.equal(fellBack('Haswell', 'SkylakeX'), true, 'an AVX-512 CPU on the AVX2 kernel');
  assert.equal(fellBack('Prescott', 'Haswell'), true);
  assert.equal(fellBack('Cooperlake', 'SkylakeX'), false, 'a wider kernel than expected is no fallback');
  assert.equal(fellBack('SKYLAKEX', 'SkylakeX'), false);
  assert.equal(fellBack('Zen', 'Haswell'), false);
  assert.equal(fellBack('Haswell', null), false);
});
