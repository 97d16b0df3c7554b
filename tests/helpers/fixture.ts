import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { type NpyArray, parseNpy } from '../../src/mae/npy';

export const referenceDir = fileURLToPath(new URL('../fixtures/mae-tiny-reference/', import.meta.url));

/** Reads one `.npy` file of the upstream reference fixture. */
export function loadReference(name: string): NpyArray {
  return parseNpy(readFileSync(referenceDir + name));
}

export function asFloat32(array: NpyArray): Float32Array {
  if (!(array.data instanceof Float32Array)) throw new Error(`expected float32, got ${array.dtype}`);
  return array.data;
}

/** int64 fixture indices as plain numbers (all fit easily). */
export function asIndices(array: NpyArray): number[] {
  if (!(array.data instanceof BigInt64Array)) throw new Error(`expected int64, got ${array.dtype}`);
  return Array.from(array.data, Number);
}

export function asUint8(array: NpyArray): Uint8Array {
  if (!(array.data instanceof Uint8Array)) throw new Error(`expected uint8, got ${array.dtype}`);
  return array.data;
}

/** A config.json for the fixture's tiny model, as docs/model-format.md describes it. */
export function tinyConfigJson(): Record<string, unknown> {
  return {
    format: 'mae-lens-model/1',
    name: 'MAE tiny (upstream reference fixture)',
    source: { file: 'checkpoint.pth', format: 'meta', sha256: 'a'.repeat(64) },
    image_size: 224,
    patch_size: 16,
    in_chans: 3,
    num_patches: 196,
    encoder: { embed_dim: 192, depth: 3, num_heads: 3, mlp_hidden: 768 },
    decoder: { embed_dim: 128, depth: 2, num_heads: 4, mlp_hidden: 512 },
    layer_norm_eps: 1e-6,
    norm_pix_loss: false,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    opset: 17,
    files: {
      encoder: { path: 'encoder.onnx', bytes: 123, sha256: 'b'.repeat(64) },
      decoder: { path: 'decoder.onnx', bytes: 456 },
    },
  };
}
