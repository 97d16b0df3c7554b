/**
 * 8-bit images and the preprocessing of the reference fixture: resize the shorter side with
 * PIL's BICUBIC, then centre-crop. The resampler reproduces Pillow's fixed-point algorithm
 * (libImaging/Resample.c) so our crops match PIL byte for byte.
 */

/**
 * Interleaved 8-bit pixels, row-major. `data.length / (width * height)` is the channel count:
 * 3 (RGB, like the fixture's image_uint8) or 4 (RGBA with straight alpha, like ImageData).
 */
export interface Image8 {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** An RGB image: `data` is HWC, `[height, width, 3]`. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export function channelsOf(image: Image8): 3 | 4 {
  const pixels = image.width * image.height;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || pixels <= 0) {
    throw new RangeError(`image size must be positive integers (got ${image.width}x${image.height})`);
  }
  if (image.data.length === pixels * 3) return 3;
  if (image.data.length === pixels * 4) return 4;
  throw new RangeError(
    `image data has ${image.data.length} bytes; expected ${pixels * 3} (RGB) or ${pixels * 4} (RGBA)`,
  );
}

/**
 * Drops the alpha channel by compositing over white: c' = round(c*a/255 + 255*(1 - a/255)).
 * (PIL's convert('RGB') would discard alpha instead, turning transparent pixels into whatever
 * colour they store, often black; white is what a viewer shows for a transparent PNG.)
 * RGB input is copied unchanged.
 */
export function toRgb(image: Image8): RgbImage {
  const { width, height } = image;
  if (channelsOf(image) === 3) return { width, height, data: new Uint8Array(image.data) };
  const pixels = width * height;
  const rgb = new Uint8Array(pixels * 3);
  const src = image.data;
  for (let i = 0, from = 0, to = 0; i < pixels; i++, from += 4, to += 3) {
    const alpha = src[from + 3]!;
    if (alpha === 255) {
      // Opaque, as nearly every photo is: the formula below gives the colour unchanged.
      rgb[to] = src[from]!;
      rgb[to + 1] = src[from + 1]!;
      rgb[to + 2] = src[from + 2]!;
      continue;
    }
    const white = 255 * (255 - alpha) + 127;
    for (let c = 0; c < 3; c++) {
      // Integer form of the formula above, exact: (c*a + 255*(255-a)) / 255 rounded half up.
      rgb[to + c] = Math.floor((src[from + c]! * alpha + white) / 255);
    }
  }
  return { width, height, data: rgb };
}

// Pillow keeps 8-bit resampling coefficients in fixed point with this many fractional bits.
const PRECISION_BITS = 32 - 8 - 2;
const FIXED_ONE = 1 << PRECISION_BITS;

/** Keys' cubic with a = -0.5, Pillow's BICUBIC filter; support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}
const BICUBIC_SUPPORT = 2;

interface Coefficients {
  /** Taps per output sample. */
  kernelSize: number;
  /** First input index of each output sample. */
  start: Int32Array;
  /** Number of taps actually used by each output sample. */
  count: Int32Array;
  /** [outSize, kernelSize] fixed-point weights. */
  weights: Int32Array;
}

/**
 * Coefficients by "inSize:outSize". An app resizes photos of a handful of sizes to one model size,
 * so the table is tiny; computing it costs about as much as a pass over a row of pixels each.
 */
const coefficientCache = new Map<string, Coefficients>();
const COEFFICIENT_CACHE_SIZE = 16;

function cachedCoefficients(inSize: number, outSize: number): Coefficients {
  const key = `${inSize}:${outSize}`;
  let coefficients = coefficientCache.get(key);
  if (!coefficients) {
    coefficients = resampleCoefficients(inSize, outSize);
    if (coefficientCache.size >= COEFFICIENT_CACHE_SIZE) {
      coefficientCache.delete(coefficientCache.keys().next().value!);
    }
    coefficientCache.set(key, coefficients);
  }
  return coefficients;
}

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpc for a full-range resize. When downscaling
 * the filter is stretched by the scale factor, which is what antialiases.
 */
function resampleCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = BICUBIC_SUPPORT * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * kernelSize);
  const taps = new Float64Array(kernelSize);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    // C's (int) cast truncates toward zero; both bounds are then clamped to the input.
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const last = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = last - first;
    let total = 0;
    for (let k = 0; k < n; k++) {
      const w = bicubic((k + first - center + 0.5) / filterScale);
      taps[k] = w;
      total += w;
    }
    for (let k = 0; k < n; k++) {
      const w = total !== 0 ? taps[k]! / total : taps[k]!;
      weights[out * kernelSize + k] =
        w < 0 ? Math.trunc(-0.5 + w * FIXED_ONE) : Math.trunc(0.5 + w * FIXED_ONE);
    }
    start[out] = first;
    count[out] = n;
  }
  return { kernelSize, start, count, weights };
}

function clip8(accumulator: number): number {
  // Arithmetic shift = floor division, as in Pillow's clip8 lookup.
  const value = accumulator >> PRECISION_BITS;
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/**
 * One separable pass along x, rounding to uint8 like Pillow, producing only the output columns
 * [first, first + count) of the full `outWidth`: each output sample depends only on its own
 * coefficients, so a window is byte for byte the same as cropping the full pass. `source` may be
 * RGB or opaque RGBA (its alpha is skipped); the result is RGB, in `into` when given.
 */
function horizontalPass(
  source: Image8,
  outWidth: number,
  first: number,
  count: number,
  into?: Uint8Array,
): RgbImage {
  const { width, height, data } = source;
  const channels = channelsOf(source);
  const { kernelSize, start, count: taps, weights } = cachedCoefficients(width, outWidth);
  const out = into ?? new Uint8Array(count * height * 3);
  const half = 1 << (PRECISION_BITS - 1);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = first; x < first + count; x++) {
      const n = taps[x]!;
      const kernel = x * kernelSize;
      let at = row + start[x]! * channels;
      let r = half;
      let g = half;
      let b = half;
      for (let k = 0; k < n; k++, at += channels) {
        const w = weights[kernel + k]!;
        r += data[at]! * w;
        g += data[at + 1]! * w;
        b += data[at + 2]! * w;
      }
      out[o++] = clip8(r);
      out[o++] = clip8(g);
      out[o++] = clip8(b);
    }
  }
  return { width: count, height, data: out };
}

/**
 * The pass along y, for output rows [first, first + count) of `outHeight` (see horizontalPass).
 * It walks whole input rows, in memory order, accumulating into one row of sums.
 */
function verticalPass(image: RgbImage, outHeight: number, first: number, count: number): RgbImage {
  const { width, height, data } = image;
  const { kernelSize, start, count: taps, weights } = cachedCoefficients(height, outHeight);
  const rowLength = width * 3;
  const out = new Uint8Array(rowLength * count);
  // Float64: exact for these integer sums, like Pillow's int32 accumulator, without overflow checks.
  const sums = new Float64Array(rowLength);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = first; y < first + count; y++) {
    sums.fill(half);
    const n = taps[y]!;
    const kernel = y * kernelSize;
    for (let k = 0; k < n; k++) {
      const w = weights[kernel + k]!;
      const row = (start[y]! + k) * rowLength;
      for (let i = 0; i < rowLength; i++) sums[i]! += data[row + i]! * w;
    }
    const o = (y - first) * rowLength;
    for (let i = 0; i < rowLength; i++) out[o + i] = clip8(sums[i]!);
  }
  return { width, height: count, data: out };
}

/**
 * PIL `image.resize((width, height), Image.BICUBIC)` on an RGB image: horizontal pass first, then
 * vertical, each skipped when that dimension is unchanged (as Pillow does).
 */
export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resize target must be positive integers (got ${width}x${height})`);
  }
  let result = image;
  if (width !== image.width) result = horizontalPass(result, width, 0, width);
  if (height !== image.height) result = verticalPass(result, height, 0, height);
  return result === image ? { width, height, data: new Uint8Array(image.data) } : result;
}

/**
 * crop(resizeBicubic(image, width, height), left, top, size), computing only the pixels the crop
 * keeps (each pass is windowed; the same bytes).
 */
function resizeAndCrop(
  image: Image8,
  width: number,
  height: number,
  left: number,
  top: number,
  size: number,
): RgbImage {
  const vertical = height !== image.height;
  if (width === image.width) {
    // Only the vertical pass (or nothing): it reads RGB.
    const rgb = toRgb(image);
    return crop(vertical ? verticalPass(rgb, height, top, size) : rgb, left, vertical ? 0 : top, size);
  }
  // The horizontal pass reads opaque RGBA as is (no RGB copy); its output is scratch when the
  // vertical pass follows.
  const source = isOpaque(image) ? image : toRgb(image);
  if (!vertical) {
    const resized = horizontalPass(source, width, left, size);
    return resized.height === size ? resized : crop(resized, 0, top, size);
  }
  const scratch = scratchBytes(size * image.height * 3);
  return verticalPass(horizontalPass(source, width, left, size, scratch), height, top, size);
}

/** True for RGB, and for RGBA whose every alpha is 255 (compositing over white changes nothing). */
function isOpaque(image: Image8): boolean {
  if (channelsOf(image) === 3) return true;
  const { data } = image;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return false;
  return true;
}

/**
 * One buffer for the intermediate of the two passes, reused from call to call: a fresh
 * megabyte-sized typed array costs more in page faults on first touch than the pass that fills
 * it (measured: ~4 ms per MB on the 2-core machine of docs/PERFORMANCE.md).
 */
let scratch = new Uint8Array(0);
function scratchBytes(length: number): Uint8Array {
  if (scratch.length < length) scratch = new Uint8Array(length);
  return scratch.subarray(0, length);
}

/** Copies the `size` x `size` window whose top-left corner is (left, top). */
export function crop(image: RgbImage, left: number, top: number, size: number): RgbImage {
  if (left < 0 || top < 0 || left + size > image.width || top + size > image.height) {
    throw new RangeError(`crop ${size}x${size} at (${left}, ${top}) leaves ${image.width}x${image.height}`);
  }
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const from = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(from, from + size * 3), y * size * 3);
  }
  return { width: size, height: size, data: out };
}

/** Python's round(): half to even, which the fixture used for the crop offsets. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The fixture's preprocessing, to a `size` x `size` RGB image:
 * 1. alpha composited over white (see toRgb);
 * 2. shorter side resized to `size`, long side to floor(size * long / short), PIL BICUBIC;
 * 3. centre crop at left = round((W - size) / 2), top = round((H - size) / 2).
 * An image already `size` x `size` is returned as is (no resampling).
 */
export function resizeShorterSideAndCenterCrop(image: Image8, size: number): RgbImage {
  if (!Number.isInteger(size) || size <= 0)
    throw new RangeError(`size must be a positive integer (got ${size})`);
  channelsOf(image); // a malformed image fails here, before any work
  const { width, height } = image;
  if (width === size && height === size) return toRgb(image);
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  // Same double arithmetic as Python's int(size * long / short).
  const longSide = Math.floor((size * long) / short);
  const [outWidth, outHeight] = width <= height ? [size, longSide] : [longSide, size];
  const left = roundHalfEven((outWidth - size) / 2);
  const top = roundHalfEven((outHeight - size) / 2);
  return resizeAndCrop(image, outWidth, outHeight, left, top, size);
}
