/**
 * What the pipeline stepper draws, computed from one run's tensors: attention rows, the
 * decoder's input layout, colour maps and overlays as RGBA bytes. Pure: no DOM, no ORT.
 */
import { patchIndexOfPixels } from './views';

export type Rgba = Uint8ClampedArray;

/** Shape `[1, L, H, T, T]` of the encoder's `attentions` output, T = K + 1 (cls first). */
export interface AttentionShape {
  layers: number;
  heads: number;
  tokens: number;
}

export function attentionShape(dims: readonly number[]): AttentionShape {
  if (dims.length !== 5 || dims[0] !== 1 || dims[3] !== dims[4]) {
    throw new RangeError(`attentions must be [1, L, H, T, T], got [${dims.join(', ')}]`);
  }
  return { layers: dims[1]!, heads: dims[2]!, tokens: dims[3]! };
}

/**
 * Row `query` of one layer's softmax attention `[T]`: how much token `query` (0 = cls, i = the
 * i-th visible patch in idsKeep order) takes from every token. `head` 'mean' averages the heads.
 */
export function attentionRow(
  attentions: Float32Array,
  dims: readonly number[],
  layer: number,
  head: number | 'mean',
  query: number,
): Float32Array {
  const { layers, heads, tokens } = attentionShape(dims);
  if (attentions.length !== layers * heads * tokens * tokens) {
    throw new RangeError(
      `attentions has ${attentions.length} values for [1, ${layers}, ${heads}, ${tokens}, ${tokens}]`,
    );
  }
  if (!(layer >= 0 && layer < layers)) throw new RangeError(`layer ${layer} outside [0, ${layers})`);
  if (!(query >= 0 && query < tokens)) throw new RangeError(`token ${query} outside [0, ${tokens})`);
  const chosen = head === 'mean' ? [...Array(heads).keys()] : [head];
  if (head !== 'mean' && !(head >= 0 && head < heads))
    throw new RangeError(`head ${head} outside [0, ${heads})`);
  const row = new Float32Array(tokens); // [T]
  for (const h of chosen) {
    const base = ((layer * heads + h) * tokens + query) * tokens;
    for (let j = 0; j < tokens; j++) row[j]! += attentions[base + j]! / chosen.length;
  }
  return row;
}

/** An attention row `[K+1]` laid out on the patch grid: `[N]` weight per patch, NaN where removed. */
export function attentionOnPatches(
  row: Float32Array,
  idsKeep: ArrayLike<number>,
  numPatches: number,
): { cls: number; patches: Float32Array } {
  if (row.length !== idsKeep.length + 1) {
    throw new RangeError(
      `attention row has ${row.length} values for ${idsKeep.length} visible patches + cls`,
    );
  }
  const patches = new Float32Array(numPatches).fill(Number.NaN); // [N]
  for (let i = 0; i < idsKeep.length; i++) patches[idsKeep[i]!] = row[i + 1]!;
  return { cls: row[0]!, patches };
}

/**
 * The decoder's input `[N+1, D]` before its position embedding: upstream concatenates the K
 * latent patch rows with N-K copies of one mask token and gathers with idsRestore. Returns, for
 * each patch position, the latent row it holds (1..K, 0 is cls) or -1 for the mask token.
 */
export function decoderInputSources(idsRestore: ArrayLike<number>, keep: number): Int32Array {
  const sources = new Int32Array(idsRestore.length); // [N]
  for (let l = 0; l < idsRestore.length; l++) {
    const position = idsRestore[l]!;
    sources[l] = position < keep ? position + 1 : -1;
  }
  return sources;
}

/** Viridis at nine stops: perceptually uniform and readable for colour-blind viewers. */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** t in [0, 1] (clamped) -> viridis RGB. */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}

/** Finite min and max of `values`, ignoring NaN; [0, 0] when there is none. */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return low <= high ? [low, high] : [0, 0];
}

/** Where a value has none (a patch outside the map): the gray of the Masked view. */
export const NO_VALUE_RGB: readonly [number, number, number] = [128, 128, 128];

/**
 * `[N]` per-patch values -> a G x G RGBA heat map (one pixel per patch, scale it up with
 * nearest-neighbour), viridis over [low, high] (the finite range by default), NaN in gray.
 */
export function patchHeatmap(values: ArrayLike<number>, grid: number, range = finiteRange(values)): Rgba {
  if (values.length !== grid * grid)
    throw new RangeError(`expected ${grid * grid} values, got ${values.length}`);
  const [low, high] = range;
  const rgba = new Uint8ClampedArray(grid * grid * 4); // [G, G, 4]
  for (let l = 0; l < values.length; l++) {
    const v = values[l]!;
    const rgb = Number.isNaN(v) ? NO_VALUE_RGB : viridis(high > low ? (v - low) / (high - low) : 0.5);
    rgba.set([rgb[0], rgb[1], rgb[2], 255], l * 4);
  }
  return rgba;
}

/**
 * An image `[S, S, 4]` with per-patch weights `[N]` drawn over it: each patch blended toward its
 * viridis colour by `opacity` (weights scaled to [0, max]); NaN patches (removed) darkened.
 */
export function overlayPatchWeights(
  image: Rgba,
  imageSize: number,
  patchSize: number,
  weights: ArrayLike<number>,
  opacity = 0.65,
): Rgba {
  const patchOf = patchIndexOfPixels(imageSize, patchSize);
  if (image.length !== imageSize * imageSize * 4) throw new RangeError('image size does not match');
  const [, high] = finiteRange(weights);
  const colours = Array.from({ length: weights.length }, (_, l) => {
    const w = weights[l]!;
    return Number.isNaN(w) ? null : viridis(high > 0 ? w / high : 0);
  });
  const out = new Uint8ClampedArray(image.length); // [S, S, 4]
  for (let i = 0; i < patchOf.length; i++) {
    const colour = colours[patchOf[i]!];
    for (let c = 0; c < 3; c++) {
      const v = image[i * 4 + c]!;
      out[i * 4 + c] = colour ? v * (1 - opacity) + colour[c]! * opacity : v * 0.25;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * The encoder's input as a picture: the K kept patches of `image` `[S, S, 4]` in idsKeep order,
 * `perRow` to a row with a one-pixel gap. Returns the strip's RGBA and size.
 */
export function visibleTokenStrip(
  image: Rgba,
  imageSize: number,
  patchSize: number,
  idsKeep: ArrayLike<number>,
  perRow: number,
): { rgba: Rgba; width: number; height: number } {
  const grid = imageSize / patchSize;
  const count = idsKeep.length;
  const columns = Math.max(1, Math.min(perRow, count));
  const rows = Math.max(1, Math.ceil(count / columns));
  const step = patchSize + 1;
  const width = columns * step - 1;
  const height = rows * step - 1;
  const rgba = new Uint8ClampedArray(width * height * 4); // transparent gaps
  for (let t = 0; t < count; t++) {
    const patch = idsKeep[t]!;
    const sourceX = (patch % grid) * patchSize;
    const sourceY = Math.floor(patch / grid) * patchSize;
    const targetX = (t % columns) * step;
    const targetY = Math.floor(t / columns) * step;
    for (let y = 0; y < patchSize; y++) {
      const from = ((sourceY + y) * imageSize + sourceX) * 4;
      rgba.set(image.subarray(from, from + patchSize * 4), ((targetY + y) * width + targetX) * 4);
    }
  }
  return { rgba, width, height };
}

/**
 * The decoder's input as a picture: visible patches as they are, every mask-token position in
 * one shared diagonal hatch (the same learned vector everywhere).
 */
export function decoderInputView(
  image: Rgba,
  imageSize: number,
  patchSize: number,
  mask: ArrayLike<number>,
): Rgba {
  const patchOf = patchIndexOfPixels(imageSize, patchSize);
  const out = new Uint8ClampedArray(image);
  for (let i = 0; i < patchOf.length; i++) {
    if (!mask[patchOf[i]!]) continue;
    const x = i % imageSize;
    const y = Math.floor(i / imageSize);
    const stripe = (x + y) % 6 < 2;
    out.set(stripe ? [118, 110, 230, 255] : [58, 56, 96, 255], i * 4);
  }
  return out;
}
