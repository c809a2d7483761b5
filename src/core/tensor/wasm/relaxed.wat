;; Probe for WebAssembly relaxed SIMD (compiled by scripts/build-wasm.mjs; matmul.ts validates and
;; runs it once, only when asked: relaxedMadd()). madd(a, b, c) is lane 0 of f64x2.relaxed_madd,
;; which a runtime may compute fused (one rounding, a*b+c exact) or as a multiply then an add.
(module
  (func (export "madd") (param $a f64) (param $b f64) (param $c f64) (result f64)
    (f64x2.extract_lane 0
      (f64x2.relaxed_madd (f64x2.splat (local.get $a)) (f64x2.splat (local.get $b)) (f64x2.splat (local.get $c)))))
)
