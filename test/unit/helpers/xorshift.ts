/** Deterministic uniforms in [0, 1) from a 32-bit xorshift (Marsaglia's 13/17/5): test data without the engine's Prng. */
export function xorshiftUniforms(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
