/**
 * Image <-> patch sequence, exactly as upstream MAE:
 * patch l = row * G + col; inside a patch the vector is ordered (p, q, c), element
 * (p * P + q) * 3 + c, with p the pixel row and q the pixel column inside the patch.
 */

function checkGeometry(imageSize: number, patchSize: number): number {
  if (!Number.isInteger(imageSize) || !Number.isInteger(patchSize) || patchSize <= 0 || imageSize <= 0) {
    throw new RangeError(
      `image size and patch size must be positive integers (got ${imageSize}, ${patchSize})`,
    );
  }
  if (imageSize % patchSize !== 0) {
    throw new RangeError(`patch size ${patchSize} does not divide image size ${imageSize}`);
  }
  return imageSize / patchSize;
}

/** CHW `[3, S, S]` -> patches `[N, P*P*3]`. */
export function patchify(chw: ArrayLike<number>, imageSize: number, patchSize: number): Float32Array {
  const grid = checkGeometry(imageSize, patchSize);
  const plane = imageSize * imageSize;
  if (chw.length !== 3 * plane) {
    throw new RangeError(
      `patchify: expected ${3 * plane} values for 3x${imageSize}x${imageSize}, got ${chw.length}`,
    );
  }
  const dim = patchSize * patchSize * 3;
  const patches = new Float32Array(grid * grid * dim); // [N, P*P*3]
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      const patchBase = (row * grid + col) * dim;
      for (let p = 0; p < patchSize; p++) {
        const y = row * patchSize + p;
        for (let q = 0; q < patchSize; q++) {
          const x = col * patchSize + q;
          const element = patchBase + (p * patchSize + q) * 3;
          const pixel = y * imageSize + x;
          patches[element] = chw[pixel]!;
          patches[element + 1] = chw[plane + pixel]!;
          patches[element + 2] = chw[2 * plane + pixel]!;
        }
      }
    }
  }
  return patches;
}

/**
 * HWC uint8 `[S, S, 3]` -> normalised patches `[N, P*P*3]` in one pass: the same float32 values as
 * patchify(normalize(hwc, ...)) without the `[3, S, S]` intermediate (a fresh typed array of that
 * size costs more in page faults than the arithmetic).
 */
export function patchifyNormalized(
  hwc: ArrayLike<number>,
  imageSize: number,
  patchSize: number,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): Float32Array {
  const grid = checkGeometry(imageSize, patchSize);
  if (hwc.length !== 3 * imageSize * imageSize) {
    throw new RangeError(
      `patchifyNormalized: expected ${3 * imageSize * imageSize} values for ${imageSize}x${imageSize} RGB, got ${hwc.length}`,
    );
  }
  const [m0, m1, m2] = mean;
  const [s0, s1, s2] = std;
  const patches = new Float32Array(grid * grid * patchSize * patchSize * 3); // [N, P*P*3]
  let element = 0;
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      for (let p = 0; p < patchSize; p++) {
        let at = ((row * patchSize + p) * imageSize + col * patchSize) * 3;
        for (let q = 0; q < patchSize; q++, at += 3) {
          patches[element++] = (hwc[at]! / 255 - m0) / s0;
          patches[element++] = (hwc[at + 1]! / 255 - m1) / s1;
          patches[element++] = (hwc[at + 2]! / 255 - m2) / s2;
        }
      }
    }
  }
  return patches;
}

/** Patches `[N, P*P*3]` -> CHW `[3, S, S]`; the exact inverse of patchify. */
export function unpatchify(patches: ArrayLike<number>, imageSize: number, patchSize: number): Float32Array {
  const grid = checkGeometry(imageSize, patchSize);
  const plane = imageSize * imageSize;
  if (patches.length !== 3 * plane) {
    throw new RangeError(
      `unpatchify: expected ${3 * plane} values for ${grid * grid} patches, got ${patches.length}`,
    );
  }
  const dim = patchSize * patchSize * 3;
  const chw = new Float32Array(3 * plane); // [3, S, S]
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      const patchBase = (row * grid + col) * dim;
      for (let p = 0; p < patchSize; p++) {
        const y = row * patchSize + p;
        for (let q = 0; q < patchSize; q++) {
          const x = col * patchSize + q;
          const element = patchBase + (p * patchSize + q) * 3;
          const pixel = y * imageSize + x;
          chw[pixel] = patches[element]!;
          chw[plane + pixel] = patches[element + 1]!;
          chw[2 * plane + pixel] = patches[element + 2]!;
        }
      }
    }
  }
  return chw;
}

/** Rows of `[N, dim]` picked in the order of `ids` -> `[ids.length, dim]` (the encoder's visible_patches). */
export function gatherRows(rows: Float32Array, dim: number, ids: ArrayLike<number>): Float32Array {
  if (!Number.isInteger(dim) || dim <= 0 || rows.length % dim !== 0) {
    throw new RangeError(`gatherRows: ${rows.length} values are not whole rows of ${dim}`);
  }
  const numRows = rows.length / dim;
  const out = new Float32Array(ids.length * dim); // [K, dim]
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (!Number.isInteger(id) || id < 0 || id >= numRows) {
      throw new RangeError(`gatherRows: index ${id} outside [0, ${numRows})`);
    }
    out.set(rows.subarray(id * dim, (id + 1) * dim), k * dim);
  }
  return out;
}
