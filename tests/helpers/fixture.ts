import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseNpy, type NpyArray } from '../../src/mae/npy';

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
