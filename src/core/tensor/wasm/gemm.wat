;; GEMM micro-kernel for GradLens: float64, WebAssembly SIMD (f64x2), compiled by scripts/build-wasm.mjs.
;;
;; Computes C tiles of 4 rows x 4 columns: C(i, j) = sum over k of A(i, k) * B(k, j), where
;;   A(i, k) is at a + (i/4)*aps + (i%4)*ars + k*acs   (A as stored has aps = 4*ars, any strides;
;;     a panel-packed A, see "pack", has aps = 32K, ars = 8, acs = 32)
;;   B(k, j) is at b + (j/4)*bps + k*brs + (j%4)*8   (4 consecutive columns are contiguous:
;;     row-major B has bps = 32, brs = 8N; a panel-packed B has bps = 32K, brs = 32)
;; (all strides in bytes) and C is stored row-major at pc with ldc columns (ldc >= 4 * panels).
;; With $load = 1 the accumulators start from the stored C tile instead of +0, so a long k range can
;; run in blocks (for the cache) and still add its products to each entry in ascending k.
;; Rows past M and columns past N compute garbage that the caller drops; it keeps the reads in
;; bounds with slack after each operand.
;;
;; Every C entry is accumulated by one accumulator lane in ascending k from +0, with a separate
;; multiply and add (no fused multiply-add): exactly the order of the scalar JavaScript kernel, so
;; both give the same bits, whatever the tiling or the number of tiles a call covers.
;;
;; The fused variant. scripts/build-wasm.mjs also compiles this text with every
;; (f64x2.add c (f64x2.mul x y)) written as (f64x2.relaxed_madd x y c): WebAssembly relaxed SIMD,
;; which V8 computes with one FMA instruction (one rounding) on a CPU that has FMA. gemmKernel.ts uses
;; that module where the runtime fuses it (VS Code's Electron host; Node 20 with
;; --experimental-wasm-relaxed-simd, which the CLI turns on) and then sends every
;; product to the kernel, since JavaScript has no fused multiply-add to match it: same order, one
;; rounding a step, same bits whatever the tiling, the threads or a row recomputed on its own.
;;
;; Registers: 8 accumulators + 2 B vectors + 1 broadcast A value + the product of each mul before
;; its add = 12 of x64's 16 xmm registers (V8 keeps one as scratch). The former 4 x 6 tile needed
;; 17 and spilled in the inner loop: 4 x 4 runs 1.5-2x faster on the reference shapes (64x3072 @
;; 3072x100, 3072x64 @ 64x100, 32x64 @ 64x64, 512^2; paired runs in one process). The fused variant needs no product register.
(module
  ;; Shared, so that growing it never detaches an ArrayBuffer: one detached buffer makes V8 drop a
  ;; fast path of every typed array in the process (about 12% slower elementwise code after the
  ;; first large product). The maximum is the workspace limit of gemmKernel.ts (1 GB).
  ;; Imported (created by gemmKernel.ts) so that the helper thread of gemmThreads.ts instantiates this
  ;; module on the same memory.
  (import "env" "memory" (memory 1 16384 shared))

  ;; Tiles t0 .. t1-1, with mp row blocks: tile t is row block t mod mp and column block t div mp,
  ;; so consecutive tiles reuse one block of B columns while it is in cache.
  (func $tiles (export "tiles")
    (param $a i32) (param $aps i32) (param $ars i32) (param $acs i32)
    (param $b i32) (param $bps i32) (param $brs i32)
    (param $pc i32) (param $ldc i32) (param $K i32) (param $mp i32) (param $t0 i32) (param $t1 i32) (param $load i32)
    (local $t i32) (local $p i32) (local $q i32) (local $k i32) (local $c i32) (local $bk i32) (local $cr i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c0_0 v128) (local $c0_1 v128) (local $c1_0 v128) (local $c1_1 v128)
    (local $c2_0 v128) (local $c2_1 v128) (local $c3_0 v128) (local $c3_1 v128)
    ;; p and q follow t: no division a tile (it showed little, 0-7% on tiles of 16-64 steps, but costs nothing).
    (local.set $t (local.get $t0))
    (local.set $q (i32.div_u (local.get $t0) (local.get $mp)))
    (local.set $p (i32.rem_u (local.get $t0) (local.get $mp)))
    (block $done (loop $tiles
      (br_if $done (i32.ge_u (local.get $t) (local.get $t1)))
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $p) (local.get $aps))))
      (local.set $a1 (i32.add (local.get $a0) (local.get $ars)))
      (local.set $a2 (i32.add (local.get $a1) (local.get $ars)))
      (local.set $a3 (i32.add (local.get $a2) (local.get $ars)))
      (local.set $bk (i32.add (local.get $b) (i32.mul (local.get $q) (local.get $bps))))
      (local.set $c (i32.add (local.get $pc)
        (i32.shl (i32.add (i32.mul (i32.mul (local.get $p) (i32.const 4)) (local.get $ldc)) (i32.mul (local.get $q) (i32.const 4))) (i32.const 3))))
      (if (local.get $load)
        (then
          (local.set $cr (local.get $c))
          (local.set $c0_0 (v128.load offset=0 (local.get $cr)))
          (local.set $c0_1 (v128.load offset=16 (local.get $cr)))
          (local.set $cr (i32.add (local.get $cr) (i32.shl (local.get $ldc) (i32.const 3))))
          (local.set $c1_0 (v128.load offset=0 (local.get $cr)))
          (local.set $c1_1 (v128.load offset=16 (local.get $cr)))
          (local.set $cr (i32.add (local.get $cr) (i32.shl (local.get $ldc) (i32.const 3))))
          (local.set $c2_0 (v128.load offset=0 (local.get $cr)))
          (local.set $c2_1 (v128.load offset=16 (local.get $cr)))
          (local.set $cr (i32.add (local.get $cr) (i32.shl (local.get $ldc) (i32.const 3))))
          (local.set $c3_0 (v128.load offset=0 (local.get $cr)))
          (local.set $c3_1 (v128.load offset=16 (local.get $cr)))
        )
        (else
          (local.set $c0_0 (v128.const f64x2 0 0))
          (local.set $c0_1 (v128.const f64x2 0 0))
          (local.set $c1_0 (v128.const f64x2 0 0))
          (local.set $c1_1 (v128.const f64x2 0 0))
          (local.set $c2_0 (v128.const f64x2 0 0))
          (local.set $c2_1 (v128.const f64x2 0 0))
          (local.set $c3_0 (v128.const f64x2 0 0))
          (local.set $c3_1 (v128.const f64x2 0 0))
        ))
      (local.set $k (local.get $K))
      (block $kdone (loop $ks
        (br_if $kdone (i32.eqz (local.get $k)))
        (local.set $b0 (v128.load offset=0 (local.get $bk)))
        (local.set $b1 (v128.load offset=16 (local.get $bk)))
        (local.set $av (v128.load64_splat (local.get $a0)))
        (local.set $c0_0 (f64x2.add (local.get $c0_0) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c0_1 (f64x2.add (local.get $c0_1) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load64_splat (local.get $a1)))
        (local.set $c1_0 (f64x2.add (local.get $c1_0) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c1_1 (f64x2.add (local.get $c1_1) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load64_splat (local.get $a2)))
        (local.set $c2_0 (f64x2.add (local.get $c2_0) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c2_1 (f64x2.add (local.get $c2_1) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $av (v128.load64_splat (local.get $a3)))
        (local.set $c3_0 (f64x2.add (local.get $c3_0) (f64x2.mul (local.get $av) (local.get $b0))))
        (local.set $c3_1 (f64x2.add (local.get $c3_1) (f64x2.mul (local.get $av) (local.get $b1))))
        (local.set $a0 (i32.add (local.get $a0) (local.get $acs)))
        (local.set $a1 (i32.add (local.get $a1) (local.get $acs)))
        (local.set $a2 (i32.add (local.get $a2) (local.get $acs)))
        (local.set $a3 (i32.add (local.get $a3) (local.get $acs)))
        (local.set $bk (i32.add (local.get $bk) (local.get $brs)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $ks)))
      (v128.store offset=0 (local.get $c) (local.get $c0_0))
      (v128.store offset=16 (local.get $c) (local.get $c0_1))
      (local.set $c (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 3))))
      (v128.store offset=0 (local.get $c) (local.get $c1_0))
      (v128.store offset=16 (local.get $c) (local.get $c1_1))
      (local.set $c (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 3))))
      (v128.store offset=0 (local.get $c) (local.get $c2_0))
      (v128.store offset=16 (local.get $c) (local.get $c2_1))
      (local.set $c (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 3))))
      (v128.store offset=0 (local.get $c) (local.get $c3_0))
      (v128.store offset=16 (local.get $c) (local.get $c3_1))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (if (i32.eq (local.get $p) (local.get $mp))
        (then
          (local.set $p (i32.const 0))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))))
      (br $tiles)))
  )

  ;; One product's tiles, in chunks that the calling thread and the helper thread (gemmThreads.ts)
  ;; claim from a job block at $job (byte offsets):
  ;;    0 next (i64): seq << 32 | the next chunk to claim     8 done (i32): chunks finished
  ;;   12 n: chunks  16 per: chunks per block of rows  20 a  24 ars  28 acs  32 b  36 bps  40 brs
  ;;   44 pc  48 ldc  52 K  56 mp (row panels)  60 np (column panels)  64 kc (k steps a block)
  ;;   68 mcp (row panels a block)  88 aps (bytes 72-87 and 92-123 are gemmThreads.ts' control words and its gelu jobs' fields);
;;   every address and stride in bytes, as "tiles" takes them.
  ;; A chunk is a range of tiles (columns of tiles, see "tiles") of one block of mcp row panels, run
  ;; over every block of kc steps of k in order: each tile is summed by one thread in ascending k,
  ;; whichever thread claims it, so the bits do not depend on the number of threads. A claim is a
  ;; compare-exchange on `next` that also checks the job's sequence number $seq: a thread that woke
  ;; for a finished job claims nothing (the caller closes `next` before it rewrites the fields, and
  ;; fields read before a successful claim are that job's).
  ;; Returns how many chunks this thread computed.
  (func (export "work") (param $job i32) (param $seq i32) (result i32)
    (local $mine i32) (local $v i64) (local $c i32) (local $n i32) (local $per i32)
    (local $a i32) (local $ars i32) (local $acs i32) (local $b i32) (local $bps i32) (local $brs i32)
    (local $pc i32) (local $ldc i32) (local $K i32) (local $mp i32) (local $np i32) (local $kc i32) (local $mcp i32)
    (local $aps i32) (local $p0 i32) (local $mpb i32) (local $T i32) (local $s i32) (local $ta i32) (local $tb i32) (local $k0 i32)
    (local.set $n (i32.atomic.load offset=12 (local.get $job)))
    (local.set $per (i32.atomic.load offset=16 (local.get $job)))
    (local.set $a (i32.atomic.load offset=20 (local.get $job)))
    (local.set $ars (i32.atomic.load offset=24 (local.get $job)))
    (local.set $acs (i32.atomic.load offset=28 (local.get $job)))
    (local.set $b (i32.atomic.load offset=32 (local.get $job)))
    (local.set $bps (i32.atomic.load offset=36 (local.get $job)))
    (local.set $brs (i32.atomic.load offset=40 (local.get $job)))
    (local.set $pc (i32.atomic.load offset=44 (local.get $job)))
    (local.set $ldc (i32.atomic.load offset=48 (local.get $job)))
    (local.set $K (i32.atomic.load offset=52 (local.get $job)))
    (local.set $mp (i32.atomic.load offset=56 (local.get $job)))
    (local.set $np (i32.atomic.load offset=60 (local.get $job)))
    (local.set $kc (i32.atomic.load offset=64 (local.get $job)))
    (local.set $mcp (i32.atomic.load offset=68 (local.get $job)))
    (local.set $aps (i32.atomic.load offset=88 (local.get $job)))
    (block $done (loop $claim
      (local.set $v (i64.atomic.load (local.get $job)))
      (br_if $done (i32.ne (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 32))) (local.get $seq)))
      (local.set $c (i32.wrap_i64 (local.get $v)))
      (br_if $done (i32.ge_u (local.get $c) (local.get $n)))
      ;; Another thread claimed it first: read `next` again.
      (br_if $claim (i64.ne
        (i64.atomic.rmw.cmpxchg (local.get $job) (local.get $v) (i64.add (local.get $v) (i64.const 1)))
        (local.get $v)))
      (local.set $p0 (i32.mul (i32.div_u (local.get $c) (local.get $per)) (local.get $mcp)))
      (local.set $s (i32.rem_u (local.get $c) (local.get $per)))
      (local.set $mpb (i32.sub (local.get $mp) (local.get $p0)))
      (if (i32.gt_u (local.get $mpb) (local.get $mcp)) (then (local.set $mpb (local.get $mcp))))
      (local.set $T (i32.mul (local.get $mpb) (local.get $np)))
      (local.set $ta (i32.div_u (i32.mul (local.get $T) (local.get $s)) (local.get $per)))
      (local.set $tb (i32.div_u (i32.mul (local.get $T) (i32.add (local.get $s) (i32.const 1))) (local.get $per)))
      (local.set $k0 (i32.const 0))
      (block $kdone (loop $kblocks
        (br_if $kdone (i32.ge_u (local.get $k0) (local.get $K)))
        (call $tiles
          (i32.add (i32.add (local.get $a) (i32.mul (local.get $p0) (local.get $aps))) (i32.mul (local.get $k0) (local.get $acs)))
          (local.get $aps) (local.get $ars) (local.get $acs)
          (i32.add (local.get $b) (i32.mul (local.get $k0) (local.get $brs)))
          (local.get $bps) (local.get $brs)
          (i32.add (local.get $pc) (i32.shl (i32.mul (i32.shl (local.get $p0) (i32.const 2)) (local.get $ldc)) (i32.const 3)))
          (local.get $ldc)
          (select (local.get $kc) (i32.sub (local.get $K) (local.get $k0)) (i32.lt_u (local.get $kc) (i32.sub (local.get $K) (local.get $k0))))
          (local.get $mpb) (local.get $ta) (local.get $tb)
          (i32.ne (local.get $k0) (i32.const 0)))
        (local.set $k0 (i32.add (local.get $k0) (local.get $kc)))
        (br $kblocks)))
      (drop (i32.atomic.rmw.add offset=8 (local.get $job) (i32.const 1)))
      (local.set $mine (i32.add (local.get $mine) (i32.const 1)))
      (br $claim)))
    (local.get $mine)
  )

  ;; Packs an operand as panels of 4 rows, for "tiles": P(i, k) = S(i, k) at d + (i/4)*32K + k*32 +
  ;; (i%4)*8, where S(i, k) is at s + i*rs + k*cs, for rows i < n (byte strides), and +0 in the rows
  ;; that pad the last panel to 4. A is packed as it is (rows i of C), B as Bᵀ (its columns j): each
  ;; tile then reads one contiguous stream of each operand, whatever the strides it is stored with —
  ;; a transposed operand steps a whole row per k, and rows 4 KB apart all fall in one set of the L1
  ;; cache. Copying values does not change a sum (same bits). Three full-panel paths: consecutive
  ;; rows two panels a pass (a step's whole line), consecutive rows one panel, and rows contiguous in
  ;; k two steps a turn (vectors interleaved), any other stride a value at a time; the last, partial
  ;; panel entry by entry.
  (func (export "pack")
    (param $s i32) (param $rs i32) (param $cs i32) (param $n i32) (param $K i32) (param $d i32)
    (local $i i32) (local $k i32) (local $src i32) (local $r i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $i (i32.const 0))
    (block $pdone (loop $panels
      (br_if $pdone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $src (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $rs))))
      (local.set $k (local.get $K))
      (if (i32.and (i32.eq (local.get $rs) (i32.const 8)) (i32.le_u (i32.add (local.get $i) (i32.const 8)) (local.get $n)))
        (then
          ;; 8 consecutive values a step, two panels in one pass: a step's whole 64-byte line. Steps
          ;; a multiple of 4 KB apart (a transposed operand's rows) share a few cache sets, so a
          ;; line read for one panel is gone by the next panel's pass over the same steps.
          (local.set $r (i32.mul (local.get $K) (i32.const 32)))
          (block $wdone (loop $wks
            (br_if $wdone (i32.eqz (local.get $k)))
            (v128.store offset=0 (local.get $d) (v128.load offset=0 (local.get $src)))
            (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $src)))
            (v128.store offset=0 (i32.add (local.get $d) (local.get $r)) (v128.load offset=32 (local.get $src)))
            (v128.store offset=16 (i32.add (local.get $d) (local.get $r)) (v128.load offset=48 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $cs)))
            (local.set $d (i32.add (local.get $d) (i32.const 32)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $wks)))
          ;; Past the second panel.
          (local.set $d (i32.add (local.get $d) (local.get $r)))
          (local.set $i (i32.add (local.get $i) (i32.const 4))))
        (else (if (i32.and (i32.eq (local.get $rs) (i32.const 8)) (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (then
          ;; 4 consecutive values a step: two vectors.
          (block $vdone (loop $vks
            (br_if $vdone (i32.eqz (local.get $k)))
            (v128.store offset=0 (local.get $d) (v128.load offset=0 (local.get $src)))
            (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $cs)))
            (local.set $d (i32.add (local.get $d) (i32.const 32)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $vks))))
        (else
          (if (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $n))
            (then
              ;; Consecutive steps (a transposed operand: each row of the panel is contiguous in k):
              ;; two steps of the 4 rows a turn, read as a vector a row and interleaved (half the
              ;; loads and stores); the scalar loop below takes an odd last step.
              (if (i32.eq (local.get $cs) (i32.const 8))
                (then
                  (block $tdone (loop $tks
                    (br_if $tdone (i32.lt_u (local.get $k) (i32.const 2)))
                    (local.set $v0 (v128.load (local.get $src)))
                    (local.set $v1 (v128.load (i32.add (local.get $src) (local.get $rs))))
                    (local.set $v2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $rs) (i32.const 1)))))
                    (local.set $v3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $rs) (i32.const 3)))))
                    (v128.store offset=0 (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v0) (local.get $v1)))
                    (v128.store offset=16 (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v2) (local.get $v3)))
                    (v128.store offset=32 (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $v0) (local.get $v1)))
                    (v128.store offset=48 (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $v2) (local.get $v3)))
                    (local.set $src (i32.add (local.get $src) (i32.const 16)))
                    (local.set $d (i32.add (local.get $d) (i32.const 64)))
                    (local.set $k (i32.sub (local.get $k) (i32.const 2)))
                    (br $tks)))))
              (block $sdone (loop $sks
                (br_if $sdone (i32.eqz (local.get $k)))
                (f64.store offset=0 (local.get $d) (f64.load (local.get $src)))
                (f64.store offset=8 (local.get $d) (f64.load (i32.add (local.get $src) (local.get $rs))))
                (f64.store offset=16 (local.get $d) (f64.load (i32.add (local.get $src) (i32.shl (local.get $rs) (i32.const 1)))))
                (f64.store offset=24 (local.get $d) (f64.load (i32.add (local.get $src) (i32.mul (local.get $rs) (i32.const 3)))))
                (local.set $src (i32.add (local.get $src) (local.get $cs)))
                (local.set $d (i32.add (local.get $d) (i32.const 32)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $sks))))
            (else
              ;; The last, partial panel: the rows past n are +0.
              (block $edone (loop $eks
                (br_if $edone (i32.eqz (local.get $k)))
                (local.set $r (i32.const 0))
                (block $rdone (loop $rows
                  (br_if $rdone (i32.ge_u (local.get $r) (i32.const 4)))
                  (f64.store (i32.add (local.get $d) (i32.shl (local.get $r) (i32.const 3)))
                    (if (result f64) (i32.lt_u (i32.add (local.get $i) (local.get $r)) (local.get $n))
                      (then (f64.load (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $rs)))))
                      (else (f64.const 0))))
                  (local.set $r (i32.add (local.get $r) (i32.const 1)))
                  (br $rows)))
                (local.set $src (i32.add (local.get $src) (local.get $cs)))
                (local.set $d (i32.add (local.get $d) (i32.const 32)))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $eks)))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $panels)))
  )

  ;; Writes the result from the padded tiles (at $t, $ldc columns) to a dense row-major M x N block at
  ;; $d: D(i, j) = T(i, j), or T(j, i) with $swap = 1 (the tiles hold the transposed product); with
  ;; $acc = 1 it adds instead, D(i, j) + T: the same single addition per entry as a scalar
  ;; `C[i, j] += sum` (the caller copies C in first and out after). Byte addresses, element counts.
  ;; In wasm because an element loop over the shared memory in JavaScript is several times slower.
  (func (export "store")
    (param $t i32) (param $ldc i32) (param $d i32) (param $M i32) (param $N i32) (param $swap i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $j1 i32) (local $s i32) (local $o i32) (local $n2 i32)
    (local $lb i32) (local $nb i32) (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local.set $lb (i32.shl (local.get $ldc) (i32.const 3)))
    (local.set $nb (i32.shl (local.get $N) (i32.const 3)))
    (if (i32.eqz (local.get $swap))
      (then
        (local.set $n2 (i32.and (local.get $N) (i32.const -2)))
        (local.set $i (i32.const 0))
        (block $rdone (loop $rows
          (br_if $rdone (i32.ge_u (local.get $i) (local.get $M)))
          (local.set $s (i32.add (local.get $t) (i32.shl (i32.mul (local.get $i) (local.get $ldc)) (i32.const 3))))
          (local.set $o (i32.add (local.get $d) (i32.shl (i32.mul (local.get $i) (local.get $N)) (i32.const 3))))
          (local.set $j (i32.const 0))
          (block $vdone (loop $vec
            (br_if $vdone (i32.ge_u (local.get $j) (local.get $n2)))
            (if (local.get $acc)
              (then (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o)) (v128.load (local.get $s)))))
              (else (v128.store (local.get $o) (v128.load (local.get $s)))))
            (local.set $s (i32.add (local.get $s) (i32.const 16)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $vec)))
          (if (i32.lt_u (local.get $j) (local.get $N))
            (then
              (if (local.get $acc)
                (then (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (f64.load (local.get $s)))))
                (else (f64.store (local.get $o) (f64.load (local.get $s)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $rows))))
      (else
;; Tiles of 4 rows by 8 columns of D: each row of a tile writes 8 consecutive entries of D (a
        ;; cache line), read from 8 rows of the tiles. One entry in each of 16 rows of D per column
        ;; (before) put 16 lines N·8 bytes apart into one L1 set whenever N·8 is a multiple of 4096:
        ;; mlp2's dX = dH·W1ᵀ (N = 3072) stored in 0.59 ms, 0.46 with tiles of 16 rows, 0.30 with 4;
        ;; a whole tile in vectors, 0.15 (0.20-0.27 in the pass, whose tiles two cores wrote, from 0.53-0.57).
        (local.set $i0 (i32.const 0))
        (block $bdone (loop $blocks
          (br_if $bdone (i32.ge_u (local.get $i0) (local.get $M)))
          (local.set $i1 (select (i32.add (local.get $i0) (i32.const 4)) (local.get $M)
            (i32.lt_u (i32.add (local.get $i0) (i32.const 4)) (local.get $M))))
          (local.set $j0 (i32.const 0))
          (block $cdone (loop $cols
            (br_if $cdone (i32.ge_u (local.get $j0) (local.get $N)))
            (local.set $j1 (select (i32.add (local.get $j0) (i32.const 8)) (local.get $N)
              (i32.lt_u (i32.add (local.get $j0) (i32.const 8)) (local.get $N))))
            (if (i32.and (i32.eq (i32.sub (local.get $i1) (local.get $i0)) (i32.const 4)) (i32.eq (i32.sub (local.get $j1) (local.get $j0)) (i32.const 8)))
              (then
                ;; A whole tile in vectors: two rows of T (entries j, j+1 of 4 rows of D) a step, their
                ;; pairs interleaved into 4 rows of D, 2 entries each (a third of the scalar loop's work).
                (local.set $s (i32.add (local.get $t) (i32.shl (i32.add (i32.mul (local.get $j0) (local.get $ldc)) (local.get $i0)) (i32.const 3))))
                (local.set $o (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $N)) (local.get $j0)) (i32.const 3))))
                (local.set $j (i32.const 0))
                (block $vdone (loop $vpairs
                  (br_if $vdone (i32.ge_u (local.get $j) (i32.const 8)))
                  (local.set $a0 (v128.load offset=0 (local.get $s)))
                  (local.set $a1 (v128.load offset=16 (local.get $s)))
                  (local.set $b0 (v128.load offset=0 (i32.add (local.get $s) (local.get $lb))))
                  (local.set $b1 (v128.load offset=16 (i32.add (local.get $s) (local.get $lb))))
                  ;; Row r of D gets lane r of the (a, b) pair: a0/b0 hold rows 0-1, a1/b1 rows 2-3.
                  (local.set $r0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $b0)))
                  (local.set $r1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $b0)))
                  (local.set $r2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a1) (local.get $b1)))
                  (local.set $r3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a1) (local.get $b1)))
                  (if (local.get $acc)
                    (then
                      (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o)) (local.get $r0)))
                      (v128.store (i32.add (local.get $o) (local.get $nb)) (f64x2.add (v128.load (i32.add (local.get $o) (local.get $nb))) (local.get $r1)))
                      (v128.store (i32.add (local.get $o) (i32.shl (local.get $nb) (i32.const 1))) (f64x2.add (v128.load (i32.add (local.get $o) (i32.shl (local.get $nb) (i32.const 1)))) (local.get $r2)))
                      (v128.store (i32.add (local.get $o) (i32.mul (local.get $nb) (i32.const 3))) (f64x2.add (v128.load (i32.add (local.get $o) (i32.mul (local.get $nb) (i32.const 3)))) (local.get $r3))))
                    (else
                      (v128.store (local.get $o) (local.get $r0))
                      (v128.store (i32.add (local.get $o) (local.get $nb)) (local.get $r1))
                      (v128.store (i32.add (local.get $o) (i32.shl (local.get $nb) (i32.const 1))) (local.get $r2))
                      (v128.store (i32.add (local.get $o) (i32.mul (local.get $nb) (i32.const 3))) (local.get $r3))))
                  (local.set $s (i32.add (local.get $s) (i32.shl (local.get $lb) (i32.const 1))))
                  (local.set $o (i32.add (local.get $o) (i32.const 16)))
                  (local.set $j (i32.add (local.get $j) (i32.const 2)))
                  (br $vpairs)))
                ;; Nothing left for the loop below.
                (local.set $i (local.get $i1)))
              (else (local.set $i (local.get $i0))))
            (block $idone (loop $is
              (br_if $idone (i32.ge_u (local.get $i) (local.get $i1)))
              (local.set $s (i32.add (local.get $t) (i32.shl (i32.add (i32.mul (local.get $j0) (local.get $ldc)) (local.get $i)) (i32.const 3))))
              (local.set $o (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j0)) (i32.const 3))))
              (local.set $j (local.get $j0))
              (block $jdone (loop $js
                (br_if $jdone (i32.ge_u (local.get $j) (local.get $j1)))
                (if (local.get $acc)
                  (then (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (f64.load (local.get $s)))))
                  (else (f64.store (local.get $o) (f64.load (local.get $s)))))
                (local.set $s (i32.add (local.get $s) (i32.shl (local.get $ldc) (i32.const 3))))
                (local.set $o (i32.add (local.get $o) (i32.const 8)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $js)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $is)))
            (local.set $j0 (local.get $j1))
            (br $cols)))
          (local.set $i0 (local.get $i1))
          (br $blocks)))))
  )

  ;; The ceiling of the kernel's arithmetic, for the bench (gemmPeak in gemmKernel.ts): n rounds of 10
  ;; independent multiply-adds (f64x2.mul then f64x2.add, or one relaxed_madd in the fused module)
  ;; with no memory traffic: 40 flops a round. Ten accumulators keep enough of them in flight for
  ;; either form (8 left the fused one latency-bound: 24 against 26-27 GFLOP/s on AMD EPYC).
  ;; Returns a lane of the sum so nothing is dead code.
  (func (export "peak") (param $n i32) (result f64)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128)
    (local $c5 v128) (local $c6 v128) (local $c7 v128) (local $c8 v128) (local $c9 v128)
    (local.set $a (v128.const f64x2 0.5 0.5))
    (local.set $b0 (v128.const f64x2 1e-10 2e-10))
    (local.set $b1 (v128.const f64x2 3e-10 4e-10))
    (block $done (loop $rounds
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $c4 (f64x2.add (local.get $c4) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c5 (f64x2.add (local.get $c5) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $c6 (f64x2.add (local.get $c6) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c7 (f64x2.add (local.get $c7) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $c8 (f64x2.add (local.get $c8) (f64x2.mul (local.get $a) (local.get $b0))))
      (local.set $c9 (f64x2.add (local.get $c9) (f64x2.mul (local.get $a) (local.get $b1))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $rounds)))
    (f64x2.extract_lane 0
      (f64x2.add
        (f64x2.add
          (f64x2.add (f64x2.add (local.get $c0) (local.get $c1)) (f64x2.add (local.get $c2) (local.get $c3)))
          (f64x2.add (f64x2.add (local.get $c4) (local.get $c5)) (f64x2.add (local.get $c6) (local.get $c7))))
        (f64x2.add (local.get $c8) (local.get $c9))))
  )
)
