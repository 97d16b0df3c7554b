/**
 * Which patches the encoder sees. Same rules as upstream random_masking:
 * ids_shuffle = argsort(noise) ascending (smallest noise kept), len_keep = int(N * (1 - ratio)),
 * ids_keep = ids_shuffle[:len_keep] (noise order, not patch order), ids_restore =
 * argsort(ids_shuffle), mask[l] = 1 where patch l is removed.
 */

export interface Masking {
  /** [N] patch indices, kept ones first. */
  idsShuffle: Int32Array;
  /** [K] the encoder's rows, in idsShuffle order. */
  idsKeep: Int32Array;
  /** [N] inverse permutation of idsShuffle: idsShuffle[idsRestore[l]] = l. */
  idsRestore: Int32Array;
  /** [N] in patch order: 1 = removed (masked), 0 = visible. */
  mask: Uint8Array;
}

/** mulberry32: a tiny, fast 32-bit PRNG, good enough to place masks reproducibly from a seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * n float32 values uniform in [0, 1) from `seed`. Uses the top 24 bits of each draw, so every
 * value is exactly representable in float32 and never rounds up to 1.
 */
export function uniformNoise(n: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const noise = new Float32Array(n);
  for (let i = 0; i < n; i++) noise[i] = (next() >>> 8) / 0x1000000;
  return noise;
}

/** Python's `int(n * (1 - ratio))` in double arithmetic: lenKeep(196, 0.9) = 19, not 20. */
export function lenKeep(n: number, ratio: number): number {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`number of patches must be a non-negative integer (got ${n})`);
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`mask ratio must be in [0, 1] (got ${ratio})`);
  return Math.trunc(n * (1 - ratio));
}

function inversePermutation(permutation: Int32Array): Int32Array {
  const inverse = new Int32Array(permutation.length);
  for (let i = 0; i < permutation.length; i++) inverse[permutation[i]!] = i;
  return inverse;
}

function fromShuffle(idsShuffle: Int32Array, keep: number): Masking {
  const idsRestore = inversePermutation(idsShuffle);
  const mask = new Uint8Array(idsShuffle.length);
  for (let l = 0; l < mask.length; l++) mask[l] = idsRestore[l]! < keep ? 0 : 1;
  return { idsShuffle, idsKeep: idsShuffle.slice(0, keep), idsRestore, mask };
}

/**
 * Masking from per-patch noise. The argsort compares float32 values (as torch does on float32
 * noise) and is stable: equal values keep patch order.
 */
export function maskFromNoise(noise: ArrayLike<number>, ratio: number): Masking {
  const n = noise.length;
  const keep = lenKeep(n, ratio);
  const values = Float32Array.from(noise);
  if (values.some((v) => Number.isNaN(v))) throw new RangeError('noise contains NaN');
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => values[a]! - values[b]! || a - b);
  return fromShuffle(Int32Array.from(order), keep);
}

/** Random masking of `n` patches at `ratio`, reproducible from `seed`. */
export function randomMasking(n: number, ratio: number, seed: number): Masking {
  return maskFromNoise(uniformNoise(n, seed), ratio);
}

/**
 * Masking from an explicit choice of visible patches (e.g. painted by the user): `kept` is a
 * per-patch flag array of length `numPatches` or a set of patch indices. idsKeep lists the kept
 * patches in ascending patch order; idsShuffle continues with the removed ones, ascending.
 */
export function maskFromKeptPatches(
  kept: ArrayLike<boolean> | ReadonlySet<number>,
  numPatches: number,
): Masking {
  if (!Number.isInteger(numPatches) || numPatches < 0) {
    throw new RangeError(`number of patches must be a non-negative integer (got ${numPatches})`);
  }
  const isKept = new Uint8Array(numPatches);
  if ('has' in kept) {
    for (const id of kept) {
      if (!Number.isInteger(id) || id < 0 || id >= numPatches) {
        throw new RangeError(`kept patch ${id} outside [0, ${numPatches})`);
      }
      isKept[id] = 1;
    }
  } else {
    if (kept.length !== numPatches) {
      throw new RangeError(`expected ${numPatches} kept flags, got ${kept.length}`);
    }
    for (let l = 0; l < numPatches; l++) isKept[l] = kept[l] ? 1 : 0;
  }
  const idsShuffle = new Int32Array(numPatches);
  let next = 0;
  for (let l = 0; l < numPatches; l++) if (isKept[l]) idsShuffle[next++] = l;
  const keep = next;
  for (let l = 0; l < numPatches; l++) if (!isKept[l]) idsShuffle[next++] = l;
  return fromShuffle(idsShuffle, keep);
}
