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
)
