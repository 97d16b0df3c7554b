/**
 * What every checkpoint reader (safetensors, PyTorch zip) hands on: named tensors as raw
 * little-endian bytes, still inside the file they came from where possible, so reading a
 * checkpoint copies nothing until the weights are laid out for the graph.
 * Pure: no DOM, no Node, no onnxruntime.
 */

/** The floating-point dtypes a ViT-MAE checkpoint is published in. */
export const TENSOR_DTYPES = ['F32', 'F16', 'BF16', 'F64'] as const;
export type TensorDtype = (typeof TENSOR_DTYPES)[number];

export const BYTES_PER_VALUE: Record<TensorDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export interface RawTensor {
  dtype: TensorDtype;
  shape: number[];
  /** `product(shape) * BYTES_PER_VALUE[dtype]` bytes, little-endian, C order. */
  bytes: Uint8Array;
}

/** A checkpoint that cannot be read; the message names the file and the problem. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * The largest tensor or archive member accepted: 4 GiB. No ViT-MAE tensor comes near it (huge's
 * largest is 26 MB) and a wasm32 heap cannot hold more, so a larger declared size is a lie or
 * not a model, refused before anything is allocated.
 */
export const MAX_DECLARED_BYTES = 2 ** 32;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE half to float. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const scratchBits = new Uint32Array(1);
const scratchFloat = new Float32Array(scratchBits.buffer);

/**
 * The tensor's values as float32. F32 bytes at a 4-aligned offset come back as a view (no copy);
 * everything else is converted into a new array.
 */
export function toFloat32(tensor: RawTensor): Float32Array {
  const { bytes, dtype } = tensor;
  const count = elementCount(tensor.shape);
  if (dtype === 'F32' && bytes.byteOffset % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32':
        out[i] = view.getFloat32(i * 4, true);
        break;
      case 'F64':
        out[i] = view.getFloat64(i * 8, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(i * 2, true));
        break;
      case 'BF16':
        // bfloat16 is the top half of a float32.
        scratchBits[0] = view.getUint16(i * 2, true) << 16;
        out[i] = scratchFloat[0]!;
        break;
    }
  }
  return out;
}
