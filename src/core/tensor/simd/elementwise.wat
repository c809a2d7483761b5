;; Elementwise kernels on float64 two entries at a time (WebAssembly SIMD), for tensor/simdElementwise.ts.
;; Arguments are byte offsets into the module's memory and entry counts. Each computes every entry
;; exactly as the scalar loop it stands in for (same IEEE operations, same order): the same bits.
(module
  ;; 32 MB, fixed: growing a memory detaches its ArrayBuffer, and after one detached buffer V8 runs
  ;; every typed-array access in the process through a slower path. Untouched pages cost nothing.
  (memory (export "memory") 512 512)

  ;; o[i] = x[i] > 0 ? x[i] : +0 (relu): the comparison's mask keeps x's bits or clears them all.
  (func (export "relu") (param $x i32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $o) (v128.and (local.get $v) (f64x2.gt (local.get $v) (v128.const f64x2 0 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (f64.store (local.get $o)
        (select (f64.load (local.get $x)) (f64.const 0) (f64.gt (f64.load (local.get $x)) (f64.const 0)))))))

  ;; dx[i] = x[i] > 0 ? g[i] : +0 (relu's backward).
  (func (export "reluBackward") (param $x i32) (param $g i32) (param $dx i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $dx)
          (v128.and (v128.load (local.get $g)) (f64x2.gt (v128.load (local.get $x)) (v128.const f64x2 0 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (f64.store (local.get $dx)
        (select (f64.load (local.get $g)) (f64.const 0) (f64.gt (f64.load (local.get $x)) (f64.const 0)))))))

  ;; o[r·inner + k] = a[r·inner + k] + b[k] for every row r < rows (a bias added to each row; with
  ;; rows = 1 and b as long as a, a plain sum).
  (func (export "addRows") (param $a i32) (param $b i32) (param $o i32) (param $rows i32) (param $inner i32)
    (local $pairsEnd i32) (local $k i32) (local $r i32)
    (local.set $pairsEnd (i32.shl (i32.and (local.get $inner) (i32.const -2)) (i32.const 3)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $done
          (loop $pairs
            (br_if $done (i32.ge_u (local.get $k) (local.get $pairsEnd)))
            (v128.store (i32.add (local.get $o) (local.get $k))
              (f64x2.add (v128.load (i32.add (local.get $a) (local.get $k))) (v128.load (i32.add (local.get $b) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $pairs)))
        (if (i32.and (local.get $inner) (i32.const 1))
          (then (f64.store (i32.add (local.get $o) (local.get $k))
            (f64.add (f64.load (i32.add (local.get $a) (local.get $k))) (f64.load (i32.add (local.get $b) (local.get $k)))))))
        (local.set $a (i32.add (local.get $a) (i32.shl (local.get $inner) (i32.const 3))))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $inner) (i32.const 3))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
;; tanh of both lanes, elementary.ts' tanh step for step: a = min(|x|, 20), m = e^(−2a) − 1 by
  ;; expm1NonPositive (n = round(w·log2e) as floor(y + 1/2), exact for these y; r = w − n·ln2 in two
  ;; parts; Q by the same Estrin scheme; 2^n, −58 ≤ n ≤ 0, built from its exponent bits instead of
  ;; read from POW2: the same power of two), t = m/(2 + m), −t for x > 0; x itself where |x| < 2^−27
  ;; or x is NaN. Sums are written product first (see gelu): this kernel must not fuse.
  (func $tanh2 (param $x v128) (result v128)
    (local $w v128) (local $nn v128) (local $r v128) (local $r2 v128) (local $r4 v128) (local $q0 v128)
    (local $q1 v128) (local $q2 v128) (local $q v128) (local $s v128) (local $m v128) (local $t v128)
    (local.set $w (f64x2.mul (v128.const f64x2 -2 -2) (f64x2.pmin (v128.const f64x2 20 20) (f64x2.abs (local.get $x)))))
    (local.set $nn (f64x2.floor (f64x2.add (f64x2.mul (local.get $w) (v128.const f64x2 0x1.71547652b82fep0 0x1.71547652b82fep0)) (v128.const f64x2 0.5 0.5))))
    (local.set $r (f64x2.sub
      (f64x2.sub (local.get $w) (f64x2.mul (local.get $nn) (v128.const f64x2 0x1.62e42p-1 0x1.62e42p-1)))
      (f64x2.mul (local.get $nn) (v128.const f64x2 0x1.fdf473de6af28p-22 0x1.fdf473de6af28p-22))))
    (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $r4 (f64x2.mul (local.get $r2) (local.get $r2)))
    (local.set $q0 (f64x2.add (f64x2.add (f64x2.mul (local.get $r) (v128.const f64x2 0x1.5555555555557p-3 0x1.5555555555557p-3)) (v128.const f64x2 0x1p-1 0x1p-1))
      (f64x2.mul (f64x2.add (f64x2.mul (local.get $r) (v128.const f64x2 0x1.11111111100dfp-7 0x1.11111111100dfp-7)) (v128.const f64x2 0x1.5555555555556p-5 0x1.5555555555556p-5)) (local.get $r2))))
    (local.set $q1 (f64x2.add (f64x2.add (f64x2.mul (local.get $r) (v128.const f64x2 0x1.a01a01abe62ddp-13 0x1.a01a01abe62ddp-13)) (v128.const f64x2 0x1.6c16c16c162d6p-10 0x1.6c16c16c162d6p-10))
      (f64x2.mul (f64x2.add (f64x2.mul (local.get $r) (v128.const f64x2 0x1.71de02375656cp-19 0x1.71de02375656cp-19)) (v128.const f64x2 0x1.a01a01a6d7808p-16 0x1.a01a01a6d7808p-16)) (local.get $r2))))
    (local.set $q2 (f64x2.add (f64x2.add (f64x2.mul (local.get $r) (v128.const f64x2 0x1.af4ddd84882fep-26 0x1.af4ddd84882fep-26)) (v128.const f64x2 0x1.27e4db67b4303p-22 0x1.27e4db67b4303p-22)) (f64x2.mul (local.get $r2) (v128.const f64x2 0x1.1f72fc730b4ffp-29 0x1.1f72fc730b4ffp-29))))
    (local.set $q (f64x2.add (f64x2.mul (f64x2.add (f64x2.mul (local.get $q2) (local.get $r4)) (local.get $q1)) (local.get $r4)) (local.get $q0)))
    (local.set $s (i64x2.shl
      (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $nn))) (v128.const i64x2 1023 1023))
      (i32.const 52)))
    (local.set $m (f64x2.add (f64x2.sub (local.get $s) (v128.const f64x2 1 1))
      (f64x2.mul (local.get $s) (f64x2.add (f64x2.mul (local.get $r2) (local.get $q)) (local.get $r)))))
    (local.set $t (f64x2.div (local.get $m) (f64x2.add (local.get $m) (v128.const f64x2 2 2))))
    (v128.bitselect (local.get $x)
      (v128.bitselect (local.get $t) (f64x2.neg (local.get $t)) (f64x2.lt (local.get $x) (v128.const f64x2 0 0)))
      (v128.or (f64x2.lt (f64x2.abs (local.get $x)) (v128.const f64x2 0x1p-27 0x1p-27)) (f64x2.ne (local.get $x) (local.get $x)))))

  ;; o[r·inner + k] = tanh(a[r·inner + k] + b[k]) for every row r < rows, or tanh(a[…]) when bias is
  ;; 0 (b unread): an rnn step's bias and nonlinearity in one pass, or the tanh op. A row of odd
  ;; length ends with one lane (nothing past o's row is written).
  (func (export "tanhRows") (param $a i32) (param $b i32) (param $o i32) (param $rows i32) (param $inner i32) (param $bias i32)
    (local $pairsEnd i32) (local $k i32) (local $r i32) (local $v v128)
    (local.set $pairsEnd (i32.shl (i32.and (local.get $inner) (i32.const -2)) (i32.const 3)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $k (i32.const 0))
        (block $done
          (loop $pairs
            (br_if $done (i32.ge_u (local.get $k) (local.get $pairsEnd)))
            (local.set $v (v128.load (i32.add (local.get $a) (local.get $k))))
            (if (local.get $bias) (then (local.set $v (f64x2.add (local.get $v) (v128.load (i32.add (local.get $b) (local.get $k)))))))
            (v128.store (i32.add (local.get $o) (local.get $k)) (call $tanh2 (local.get $v)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $pairs)))
        (if (i32.and (local.get $inner) (i32.const 1))
          (then
            (local.set $v (v128.load64_zero (i32.add (local.get $a) (local.get $k))))
            (if (local.get $bias) (then (local.set $v (f64x2.add (local.get $v) (v128.load64_zero (i32.add (local.get $b) (local.get $k)))))))
            (v128.store64_lane 0 (i32.add (local.get $o) (local.get $k)) (call $tanh2 (local.get $v)))))
        (local.set $a (i32.add (local.get $a) (i32.shl (local.get $inner) (i32.const 3))))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $inner) (i32.const 3))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; o[i] = k·x[i] (a weight penalty's backward, 2·g·W): one product an entry, as the scalar loop.
  (func (export "scale") (param $x i32) (param $k f64) (param $o i32) (param $n i32)
    (local $end i32) (local $kk v128)
    (local.set $kk (f64x2.splat (local.get $k)))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $o) (f64x2.mul (local.get $kk) (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (f64.store (local.get $o) (f64.mul (local.get $k) (f64.load (local.get $x)))))))

  ;; out[r] = Σ_j a[r·n + j]·b[j] for every row r < rows, in the order of checks/direction.ts' dot:
  ;; four running sums (entries j, j+1 in A's lanes and j+2, j+3 in B's), the tail into the first,
  ;; then (s0 + s1) + (s2 + s3). Separate multiplies and adds, as the scalar loop: the same bits.
  (func (export "dotRows") (param $a i32) (param $rows i32) (param $n i32) (param $b i32) (param $out i32)
    (local $r i32) (local $j i32) (local $p i32) (local $q i32) (local $n4 i32)
    (local $A v128) (local $B v128) (local $s0 f64)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $A (v128.const f64x2 0 0))
        (local.set $B (v128.const f64x2 0 0))
        (local.set $p (local.get $a))
        (local.set $q (local.get $b))
        (local.set $j (i32.const 0))
        (block $done
          (loop $fours
            (br_if $done (i32.ge_u (local.get $j) (local.get $n4)))
            (local.set $A (f64x2.add (local.get $A) (f64x2.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
            (local.set $B (f64x2.add (local.get $B) (f64x2.mul (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $fours)))
        (local.set $s0 (f64x2.extract_lane 0 (local.get $A)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (f64.load (local.get $p)) (f64.load (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (local.set $q (i32.add (local.get $q) (i32.const 8)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (f64.store (local.get $out)
          (f64.add
            (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $A)))
            (f64.add (f64x2.extract_lane 0 (local.get $B)) (f64x2.extract_lane 1 (local.get $B)))))
        (local.set $a (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 3))))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; max_pool2d with 2×2 windows at stride 2 over `planes` planes of H×W (Wo even, Ho·Wo outputs a
  ;; plane), two windows a step: ops/pooling.ts' maxPool2x2 tournament lane by lane — the first
  ;; maximum of each row pair, then of the two, where v takes over from best when v > best or v is
  ;; NaN and best is not — its winner's value to $dst and its index (from $src, in entries) to $arg
  ;; (int32). Values are selected, never computed: the same bits, and the same indices.
  (func (export "maxPool2") (param $src i32) (param $dst i32) (param $arg i32) (param $planes i32) (param $H i32) (param $W i32) (param $Ho i32) (param $Wo i32)
    (local $p i32) (local $oy i32) (local $ox i32) (local $e i32) (local $a v128) (local $b v128)
    (local $l v128) (local $r v128) (local $t v128) (local $topV v128) (local $topI v128)
    (local $botV v128) (local $botI v128) (local $i v128)
    (block $planesDone
      (loop $plane
        (br_if $planesDone (i32.ge_u (local.get $p) (local.get $planes)))
        (local.set $oy (i32.const 0))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $oy) (local.get $Ho)))
            ;; e: the window's top-left entry, p·H·W + 2·oy·W + 2·ox
            (local.set $e (i32.add (i32.mul (local.get $p) (i32.mul (local.get $H) (local.get $W))) (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $W))))
            (local.set $ox (i32.const 0))
            (block $pairsDone
              (loop $pair
                (br_if $pairsDone (i32.ge_u (local.get $ox) (local.get $Wo)))
                ;; Top row: l = [x(e), x(e+2)], r = [x(e+1), x(e+3)]; the indices of l.
                (local.set $a (v128.load (i32.add (local.get $src) (i32.shl (local.get $e) (i32.const 3)))))
                (local.set $b (v128.load offset=16 (i32.add (local.get $src) (i32.shl (local.get $e) (i32.const 3)))))
                (local.set $l (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))
                (local.set $r (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b)))
                (local.set $i (i64x2.add (i64x2.splat (i64.extend_i32_u (local.get $e))) (v128.const i64x2 0 2)))
                (local.set $t (v128.or (f64x2.gt (local.get $r) (local.get $l))
                  (v128.and (f64x2.ne (local.get $r) (local.get $r)) (f64x2.eq (local.get $l) (local.get $l)))))
                (local.set $topV (v128.bitselect (local.get $r) (local.get $l) (local.get $t)))
                (local.set $topI (i64x2.sub (local.get $i) (local.get $t)))
                ;; Bottom row, W entries further.
                (local.set $a (v128.load (i32.add (local.get $src) (i32.shl (i32.add (local.get $e) (local.get $W)) (i32.const 3)))))
                (local.set $b (v128.load offset=16 (i32.add (local.get $src) (i32.shl (i32.add (local.get $e) (local.get $W)) (i32.const 3)))))
                (local.set $l (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))
                (local.set $r (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b)))
                (local.set $i (i64x2.add (local.get $i) (i64x2.splat (i64.extend_i32_u (local.get $W)))))
                (local.set $t (v128.or (f64x2.gt (local.get $r) (local.get $l))
                  (v128.and (f64x2.ne (local.get $r) (local.get $r)) (f64x2.eq (local.get $l) (local.get $l)))))
                (local.set $botV (v128.bitselect (local.get $r) (local.get $l) (local.get $t)))
                (local.set $botI (i64x2.sub (local.get $i) (local.get $t)))
                ;; The bottom winner takes over from the top one by the same rule.
                (local.set $t (v128.or (f64x2.gt (local.get $botV) (local.get $topV))
                  (v128.and (f64x2.ne (local.get $botV) (local.get $botV)) (f64x2.eq (local.get $topV) (local.get $topV)))))
                (v128.store (local.get $dst) (v128.bitselect (local.get $botV) (local.get $topV) (local.get $t)))
                (local.set $i (v128.bitselect (local.get $botI) (local.get $topI) (local.get $t)))
                (i64.store32 (local.get $arg) (i64x2.extract_lane 0 (local.get $i)))
                (i64.store32 offset=4 (local.get $arg) (i64x2.extract_lane 1 (local.get $i)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (local.set $arg (i32.add (local.get $arg) (i32.const 8)))
                (local.set $e (i32.add (local.get $e) (i32.const 4)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 2)))
                (br $pair)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $row)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $plane))))

  ;; dst[d + k] += src[s + k] for k < n, for each run (s, d, n) of the `count` int32 triples at
  ;; $runs (float64 indices from $src and $dst), the runs in order: a scatter-add of a column matrix
  ;; back into its pixels (conv2d's col2im), the additions of the JavaScript loop in its order.
  (func (export "addRuns") (param $src i32) (param $dst i32) (param $runs i32) (param $count i32)
    (local $end i32) (local $s i32) (local $d i32) (local $n i32) (local $stop i32)
    (local.set $end (i32.add (local.get $runs) (i32.mul (local.get $count) (i32.const 12))))
    (block $done
      (loop $run
        (br_if $done (i32.ge_u (local.get $runs) (local.get $end)))
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.load (local.get $runs)) (i32.const 3))))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.load offset=4 (local.get $runs)) (i32.const 3))))
        (local.set $n (i32.load offset=8 (local.get $runs)))
        (local.set $stop (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_u (local.get $d) (local.get $stop)))
            (v128.store (local.get $d) (f64x2.add (v128.load (local.get $d)) (v128.load (local.get $s))))
            (local.set $s (i32.add (local.get $s) (i32.const 16)))
            (local.set $d (i32.add (local.get $d) (i32.const 16)))
            (br $pairs)))
        (if (i32.and (local.get $n) (i32.const 1))
          (then (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (f64.load (local.get $s))))))
        (local.set $runs (i32.add (local.get $runs) (i32.const 12)))
        (br $run))))

  ;; acc plus the squares of p[0 … n) (n a multiple of 8), in the order of ops/regularizers.ts' l2
  ;; forward with blocks of 8: acc += ((a² + b²) + (c² + d²)) + ((e² + f²) + (g² + h²)) a block.
  ;; The pairs are regrouped across lanes ([a², c²] + [b², d²]) so that each lane adds what the
  ;; scalar code adds; the chain of acc's additions stays in order. Returns the new acc.
  (func (export "sumSquares8") (param $p i32) (param $n i32) (param $acc f64) (result f64)
    (local $end i32) (local $v v128) (local $s0 v128) (local $s1 v128) (local $u v128) (local $w v128) (local $z v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $eights
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $s0 (f64x2.mul (local.get $v) (local.get $v)))
        (local.set $v (v128.load offset=16 (local.get $p)))
        (local.set $s1 (f64x2.mul (local.get $v) (local.get $v)))
        ;; [a² + b², c² + d²]
        (local.set $u (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s0) (local.get $s1))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s0) (local.get $s1))))
        (local.set $v (v128.load offset=32 (local.get $p)))
        (local.set $s0 (f64x2.mul (local.get $v) (local.get $v)))
        (local.set $v (v128.load offset=48 (local.get $p)))
        (local.set $s1 (f64x2.mul (local.get $v) (local.get $v)))
        ;; [e² + f², g² + h²]
        (local.set $w (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s0) (local.get $s1))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s0) (local.get $s1))))
        ;; [(a² + b²) + (c² + d²), (e² + f²) + (g² + h²)]
        (local.set $z (f64x2.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u) (local.get $w))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u) (local.get $w))))
        (local.set $acc (f64.add (local.get $acc)
          (f64.add (f64x2.extract_lane 0 (local.get $z)) (f64x2.extract_lane 1 (local.get $z)))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $eights)))
    (local.get $acc))

    ;; 1 when every entry of p[0 … n) is finite, else 0: x·0 is ±0 for a finite x and NaN otherwise,
  ;; and a NaN survives the sums (as nonFinite.ts' allFinite, eight entries a step).
  (func (export "allFinite") (param $p i32) (param $n i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $s f64)
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 3))))
    (block $done
      (loop $eights
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (f64x2.add (local.get $a) (f64x2.mul (v128.load (local.get $p)) (v128.const f64x2 0 0))))
        (local.set $b (f64x2.add (local.get $b) (f64x2.mul (v128.load offset=16 (local.get $p)) (v128.const f64x2 0 0))))
        (local.set $c (f64x2.add (local.get $c) (f64x2.mul (v128.load offset=32 (local.get $p)) (v128.const f64x2 0 0))))
        (local.set $d (f64x2.add (local.get $d) (f64x2.mul (v128.load offset=48 (local.get $p)) (v128.const f64x2 0 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $eights)))
    (local.set $a (f64x2.add (f64x2.add (local.get $a) (local.get $b)) (f64x2.add (local.get $c) (local.get $d))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a))))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const 7)) (i32.const 3))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $p)) (f64.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $tail)))
    (f64.eq (local.get $s) (f64.const 0)))

  ;; gelu's forward keeping its slope, tensor/erf.ts' geluKeepingSlopeInto two entries at a time:
  ;; out[i] = x·Φ(x), slope[i] = Φ(x) + x·φ(x), with the same operations in the same order (no
  ;; fused multiply-adds), so the same bits. Tables at $tab (simdElementwise.ts writes them):
  ;; 2^(j/32) high and low parts (32 each, bytes 0 and 256), the powers of two 2^(i − 1100) (from
  ;; byte 512) and erfc's pieces, 16 coefficients each (from byte 9328). Each lane
  ;; gathers its own table entries; a lane whose e^w underflows (w < −745.2) or is NaN has its
  ;; exponential replaced by 0 as expNonPositive's early return does (a NaN input's outputs are
  ;; x·x and x, whatever the rest computes). Entries n and n+1 of an odd count are computed as a
  ;; pair too: the caller reads only the first n. Sums are written product first, (a·b) + c: the
  ;; same value as c + a·b, and not the pattern scripts/build-wasm.mjs fuses (this kernel must not fuse).
  (func (export "gelu") (param $x i32) (param $o i32) (param $s i32) (param $n i32) (param $tab i32)
    (local $end i32) (local $v v128) (local $xc v128) (local $t v128) (local $hi v128) (local $split v128)
    (local $th v128) (local $tl v128) (local $lo v128) (local $w v128) (local $nn v128) (local $ni v128)
    (local $r v128) (local $p v128) (local $e v128) (local $z v128) (local $k v128) (local $ki v128)
    (local $tt v128) (local $tail v128) (local $t2 v128) (local $t4 v128) (local $b0 v128) (local $b1 v128)
    (local $b2 v128) (local $f v128) (local $q v128) (local $c v128) (local $nan v128) (local $eh v128)
    (local $el v128) (local $pa i32) (local $pb i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (i32.add (local.get $n) (i32.const 1)) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load (local.get $x)))
        ;; xc = max(−40, min(x, 40)) (pmin/pmax: one instruction each; they differ from Math.min and
        ;; Math.max only at NaN, whose outputs do not read xc); t = |xc|; t² and its low part (Dekker).
        (local.set $xc (f64x2.pmax (v128.const f64x2 -40 -40) (f64x2.pmin (v128.const f64x2 40 40) (local.get $v))))
        (local.set $t (f64x2.abs (local.get $xc)))
        (local.set $hi (f64x2.mul (local.get $t) (local.get $t)))
        (local.set $split (f64x2.mul (v128.const f64x2 134217729 134217729) (local.get $t)))
        (local.set $th (f64x2.sub (local.get $split) (f64x2.sub (local.get $split) (local.get $t))))
        (local.set $tl (f64x2.sub (local.get $t) (local.get $th)))
        (local.set $lo (f64x2.mul
          (f64x2.add
            (f64x2.add
              (f64x2.sub (f64x2.mul (local.get $th) (local.get $th)) (local.get $hi))
              (f64x2.mul (f64x2.mul (v128.const f64x2 2 2) (local.get $th)) (local.get $tl)))
            (f64x2.mul (local.get $tl) (local.get $tl)))
          (v128.const f64x2 0.5 0.5)))
        ;; e = expNonPositive(−t²·0.5): n = floor(w·32/ln2 + 1/2), r = w − n·ln2/32 in two parts. The
        ;; integer n is read off n + 1.5·2^52 (its low 32 bits: lanes 0 and 2 of the i32x4 view).
        (local.set $w (f64x2.mul (f64x2.neg (local.get $hi)) (v128.const f64x2 0.5 0.5)))
        (local.set $nn (f64x2.floor (f64x2.add (f64x2.mul (local.get $w) (v128.const f64x2 0x1.71547652b82fep+5 0x1.71547652b82fep+5)) (v128.const f64x2 0.5 0.5))))
        (local.set $ni (f64x2.add (local.get $nn) (v128.const f64x2 0x1.8p+52 0x1.8p+52)))
        (local.set $r (f64x2.sub
          (f64x2.sub (local.get $w) (f64x2.mul (local.get $nn) (v128.const f64x2 0x1.62e42p-6 0x1.62e42p-6)))
          (f64x2.mul (local.get $nn) (v128.const f64x2 0x1.fdf473de6af28p-27 0x1.fdf473de6af28p-27))))
        (local.set $p (f64x2.add (local.get $r)
          (f64x2.mul (f64x2.mul (local.get $r) (local.get $r))
            (f64x2.add (v128.const f64x2 0.5 0.5) (f64x2.mul (local.get $r)
              (f64x2.add (v128.const f64x2 0x1.5555555555555p-3 0x1.5555555555555p-3) (f64x2.mul (local.get $r)
                (f64x2.add (v128.const f64x2 0x1.5555555555555p-5 0x1.5555555555555p-5) (f64x2.mul (local.get $r)
                  (f64x2.add (v128.const f64x2 0x1.1111111111111p-7 0x1.1111111111111p-7) (f64x2.mul (local.get $r) (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10))))))))))))
        ;; 2^(j/32) (high, low) at j = n & 31, and 2^(n >> 5) at (n >> 5) + 1100, kept inside the table
        ;; for the lanes set to 0 below (w < −745.2, or NaN).
        (local.set $ki (i32x4.shl (v128.and (local.get $ni) (v128.const i32x4 31 0 31 0)) (i32.const 3)))
        (local.set $pa (i32.add (local.get $tab) (i32x4.extract_lane 0 (local.get $ki))))
        (local.set $pb (i32.add (local.get $tab) (i32x4.extract_lane 2 (local.get $ki))))
        (local.set $eh (v128.load64_lane offset=0 1 (local.get $pb) (v128.load64_zero offset=0 (local.get $pa))))
        (local.set $el (v128.load64_lane offset=256 1 (local.get $pb) (v128.load64_zero offset=256 (local.get $pa))))
        (local.set $ki (i32x4.shl
          (i32x4.min_s (i32x4.max_s (i32x4.add (i32x4.shr_s (local.get $ni) (i32.const 5)) (v128.const i32x4 1100 1100 1100 1100)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 1100 1100 1100 1100))
          (i32.const 3)))
        (local.set $pa (i32.add (local.get $tab) (i32x4.extract_lane 0 (local.get $ki))))
        (local.set $pb (i32.add (local.get $tab) (i32x4.extract_lane 2 (local.get $ki))))
        (local.set $e (f64x2.mul (v128.load64_lane offset=512 1 (local.get $pb) (v128.load64_zero offset=512 (local.get $pa)))
          (f64x2.add (local.get $eh) (f64x2.add (local.get $el) (f64x2.mul (f64x2.add (local.get $eh) (local.get $el)) (local.get $p))))))
        (local.set $e (v128.and (local.get $e) (f64x2.ge (local.get $w) (v128.const f64x2 -745.2 -745.2))))
        ;; f = 0.5·erfcScaled(t/√2): piece k = floor(min(z, 4)/0.5) (computed as floor(2·min(z, 4)), the
        ;; same value) at z − (k + 0.5)/2, or the tail 1/z² from z = 4 (divisions only when a lane has it).
        (local.set $z (f64x2.mul (local.get $t) (v128.const f64x2 0x1.6a09e667f3bcdp-1 0x1.6a09e667f3bcdp-1)))
        (local.set $tail (f64x2.ge (local.get $z) (v128.const f64x2 4 4)))
        (local.set $k (f64x2.floor (f64x2.mul (f64x2.pmin (v128.const f64x2 4 4) (local.get $z)) (v128.const f64x2 2 2))))
        (local.set $tt (f64x2.sub (local.get $z) (f64x2.mul (f64x2.add (local.get $k) (v128.const f64x2 0.5 0.5)) (v128.const f64x2 0.5 0.5))))
        (if (v128.any_true (local.get $tail))
          (then (local.set $tt (v128.bitselect (f64x2.div (v128.const f64x2 1 1) (f64x2.mul (local.get $z) (local.get $z))) (local.get $tt) (local.get $tail)))))
        (local.set $ki (i32x4.shl
          (i32x4.min_s (i32x4.max_s (f64x2.add (local.get $k) (v128.const f64x2 0x1.8p+52 0x1.8p+52)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 8 8 8 8))
          (i32.const 7)))
        (local.set $pa (i32.add (local.get $tab) (i32.add (i32x4.extract_lane 0 (local.get $ki)) (i32.const 9328))))
        (local.set $pb (i32.add (local.get $tab) (i32.add (i32x4.extract_lane 2 (local.get $ki)) (i32.const 9328))))
        ;; poly16: the twelve highest terms by Estrin's scheme, the four lowest by Horner's rule; each
        ;; coefficient pair gathered where it is used (16 held at once spilled registers).
        (local.set $t2 (f64x2.mul (local.get $tt) (local.get $tt)))
        (local.set $t4 (f64x2.mul (local.get $t2) (local.get $t2)))
        (local.set $b0 (f64x2.add (f64x2.add (f64x2.mul (v128.load64_lane offset=40 1 (local.get $pb) (v128.load64_zero offset=40 (local.get $pa))) (local.get $tt)) (v128.load64_lane offset=32 1 (local.get $pb) (v128.load64_zero offset=32 (local.get $pa))))
          (f64x2.mul (f64x2.add (f64x2.mul (v128.load64_lane offset=56 1 (local.get $pb) (v128.load64_zero offset=56 (local.get $pa))) (local.get $tt)) (v128.load64_lane offset=48 1 (local.get $pb) (v128.load64_zero offset=48 (local.get $pa)))) (local.get $t2))))
        (local.set $b1 (f64x2.add (f64x2.add (f64x2.mul (v128.load64_lane offset=72 1 (local.get $pb) (v128.load64_zero offset=72 (local.get $pa))) (local.get $tt)) (v128.load64_lane offset=64 1 (local.get $pb) (v128.load64_zero offset=64 (local.get $pa))))
          (f64x2.mul (f64x2.add (f64x2.mul (v128.load64_lane offset=88 1 (local.get $pb) (v128.load64_zero offset=88 (local.get $pa))) (local.get $tt)) (v128.load64_lane offset=80 1 (local.get $pb) (v128.load64_zero offset=80 (local.get $pa)))) (local.get $t2))))
        (local.set $b2 (f64x2.add (f64x2.add (f64x2.mul (v128.load64_lane offset=104 1 (local.get $pb) (v128.load64_zero offset=104 (local.get $pa))) (local.get $tt)) (v128.load64_lane offset=96 1 (local.get $pb) (v128.load64_zero offset=96 (local.get $pa))))
          (f64x2.mul (f64x2.add (f64x2.mul (v128.load64_lane offset=120 1 (local.get $pb) (v128.load64_zero offset=120 (local.get $pa))) (local.get $tt)) (v128.load64_lane offset=112 1 (local.get $pb) (v128.load64_zero offset=112 (local.get $pa)))) (local.get $t2))))
        (local.set $p (f64x2.add (local.get $b0)
          (f64x2.mul (f64x2.add (f64x2.mul (local.get $b2) (local.get $t4)) (local.get $b1)) (local.get $t4))))
        (local.set $p (f64x2.add (v128.load64_lane offset=0 1 (local.get $pb) (v128.load64_zero offset=0 (local.get $pa))) (f64x2.mul (local.get $tt)
          (f64x2.add (v128.load64_lane offset=8 1 (local.get $pb) (v128.load64_zero offset=8 (local.get $pa))) (f64x2.mul (local.get $tt)
            (f64x2.add (v128.load64_lane offset=16 1 (local.get $pb) (v128.load64_zero offset=16 (local.get $pa))) (f64x2.mul (local.get $tt)
              (f64x2.add (v128.load64_lane offset=24 1 (local.get $pb) (v128.load64_zero offset=24 (local.get $pa))) (f64x2.mul (local.get $tt) (local.get $p))))))))))
        (if (v128.any_true (local.get $tail))
          (then (local.set $p (v128.bitselect (f64x2.div (local.get $p) (local.get $z)) (local.get $p) (local.get $tail)))))
        (local.set $f (f64x2.mul (v128.const f64x2 0.5 0.5) (local.get $p)))
        ;; q = e·(f − f·lo); Φ = x > 0 ? 1 − q : q; out = x·Φ, slope = Φ + xc·e·(1/√(2π) − lo/√(2π)).
        (local.set $q (f64x2.mul (local.get $e) (f64x2.sub (local.get $f) (f64x2.mul (local.get $f) (local.get $lo)))))
        (local.set $c (v128.bitselect (f64x2.sub (v128.const f64x2 1 1) (local.get $q)) (local.get $q) (f64x2.gt (local.get $v) (v128.const f64x2 0 0))))
        (local.set $nan (f64x2.ne (local.get $v) (local.get $v)))
        (v128.store (local.get $o) (f64x2.mul (v128.bitselect (local.get $v) (local.get $c) (local.get $nan)) (local.get $v)))
        (v128.store (local.get $s) (v128.bitselect (local.get $v)
          (f64x2.add (local.get $c) (f64x2.mul (local.get $xc)
            (f64x2.mul (local.get $e) (f64x2.sub (v128.const f64x2 0x1.9884533d43651p-2 0x1.9884533d43651p-2) (f64x2.mul (v128.const f64x2 0x1.9884533d43651p-2 0x1.9884533d43651p-2) (local.get $lo))))))
          (local.get $nan)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $pairs))))
)
