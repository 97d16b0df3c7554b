/**
 * int8 Linear weights in the format of scripts/quantize_onnx.py (docs/model-format.md), for
 * graphs built from a checkpoint: symmetric per output column, one float32 scale per column, run
 * by com.microsoft DynamicQuantizeMatMul. The scale keeps any two neighbours along K of the same
 * sign at most 128 together, so the AVX2 kernel's int16 pair sums (uint8 activation x int8
 * weight, `vpmaddubsw`) cannot saturate: every CPU and WASM compute the same integers.
 * Pure: no DOM, no Node, no onnxruntime.
 */

/** Smaller matrices stay float32, as in scripts/quantize_onnx.py: the saving is a few kB. */
export const MIN_QUANTIZED_ELEMENTS = 4096;

/** numpy's rint: halves to even. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * weight `[K, N]` ([in, out], row-major) → q `[K, N]` int8 and scale `[N]` with
 * weight[k, n] ≈ q[k, n] * scale[n] (quantize_int8_columns).
 */
export function quantizeInt8Columns(
  weight: Float32Array,
  rows: number,
  cols: number,
  q: Int8Array,
  scale: Float32Array,
): void {
  for (let n = 0; n < cols; n++) {
    let worst = 0;
    for (let k = 0; k < rows; k++) {
      const a = weight[k * cols + n]!;
      const b = k + 1 < rows ? weight[(k + 1) * cols + n]! : 0;
      const positive = Math.max(a, 0) + Math.max(b, 0);
      const negative = Math.min(a, 0) + Math.min(b, 0);
      worst = Math.max(worst, positive, -negative);
    }
    // A column of subnormals only would get a scale that underflows to 0 (numpy: inf, saturated):
    // at int8 precision it is all zeros.
    const fitted = Math.fround(worst / 127);
    const s = fitted > 0 ? fitted : 1;
    scale[n] = s;
    for (let k = 0; k < rows; k++) {
      const value = roundHalfEven(Math.fround(weight[k * cols + n]! / s));
      q[k * cols + n] = Math.min(127, Math.max(-127, value));
    }
  }
}

/** No two neighbours along K (in any packing) can saturate an int16 sum: int8_pairs_fit_int16. */
export function int8PairsFitInt16(q: Int8Array, rows: number, cols: number): boolean {
  for (let k = 0; k + 1 < rows; k++) {
    for (let n = 0; n < cols; n++) {
      const a = q[k * cols + n]!;
      const b = q[(k + 1) * cols + n]!;
      if (Math.max(a, 0) + Math.max(b, 0) > 128 || Math.min(a, 0) + Math.min(b, 0) < -128) return false;
    }
  }
  return true;
}
