/**
 * What a file is, from its first bytes, and how large a picture it holds, from its header: enough
 * to explain a file the browser refuses and to decide how to decode a huge one before decoding.
 * Pure (no DOM), so Node tests run it on real files.
 */

export type ImageFormat =
  'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif' | 'heic' | 'svg' | 'pdf' | 'unknown';

export interface ImageHeader {
  format: ImageFormat;
  /** Stored size, before any EXIF rotation; absent when the header does not say (or is cut short). */
  width?: number;
  height?: number;
}

/** How many leading bytes sniffImage needs: a JPEG's frame header can follow long EXIF blocks. */
export const HEADER_BYTES = 256 * 1024;

const FORMAT_NAMES: Record<ImageFormat, string> = {
  jpeg: 'a JPEG image',
  png: 'a PNG image',
  gif: 'a GIF image',
  webp: 'a WebP image',
  bmp: 'a BMP image',
  avif: 'an AVIF image',
  heic: 'a HEIC/HEIF image',
  svg: 'an SVG image',
  pdf: 'a PDF document',
  unknown: 'not a picture format this browser knows',
};

export function describeFormat(format: ImageFormat): string {
  return FORMAT_NAMES[format];
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

function jpegSize(bytes: Uint8Array, view: DataView): Pick<ImageHeader, 'width' | 'height'> {
  // Walk the marker segments up to the first start-of-frame (SOF0..SOF15 except DHT, JPG, DAC).
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return {};
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = view.getUint16(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    }
    at += 2 + length;
  }
  return {};
}

function webpSize(bytes: Uint8Array, view: DataView): Pick<ImageHeader, 'width' | 'height'> {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === 'VP8X' && bytes.length >= 30) {
    const w = bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16);
    const h = bytes[27]! | (bytes[28]! << 8) | (bytes[29]! << 16);
    return { width: w + 1, height: h + 1 };
  }
  if (chunk === 'VP8 ' && bytes.length >= 30) {
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return {};
}

function looksLikeSvg(bytes: Uint8Array): boolean {
  const text = new TextDecoder().decode(bytes.subarray(0, 1024)).trimStart().toLowerCase();
  return (
    text.startsWith('<svg') ||
    ((text.startsWith('<?xml') || text.startsWith('<!doctype svg')) && text.includes('<svg'))
  );
}

/** Identifies the format by content, never by file name, and reads the stored size where it can. */
export function sniffImage(bytes: Uint8Array): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return { format: 'jpeg', ...jpegSize(bytes, view) };
  }
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG') {
    // IHDR is always the first chunk.
    return bytes.length >= 24 && ascii(bytes, 12, 4) === 'IHDR'
      ? { format: 'png', width: view.getUint32(16), height: view.getUint32(20) }
      : { format: 'png' };
  }
  if (bytes.length >= 6 && ascii(bytes, 0, 4) === 'GIF8') {
    return bytes.length >= 10
      ? { format: 'gif', width: view.getUint16(6, true), height: view.getUint16(8, true) }
      : { format: 'gif' };
  }
  if (bytes.length >= 16 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    return { format: 'webp', ...webpSize(bytes, view) };
  }
  if (bytes.length >= 2 && ascii(bytes, 0, 2) === 'BM') return { format: 'bmp' };
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (brand === 'avif' || brand === 'avis') return { format: 'avif' };
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return { format: 'heic' };
  }
  if (bytes.length >= 5 && ascii(bytes, 0, 5) === '%PDF-') return { format: 'pdf' };
  if (looksLikeSvg(bytes)) return { format: 'svg' };
  return { format: 'unknown' };
}
