/**
 * A minimal reader and writer for NumPy `.npy` files (format versions 1.0–3.0): little-endian
 * float32, float64, int64, int32 and uint8, C order only. Works on ArrayBuffers so that the
 * browser, the worker and Node can share it; the fixture and the CLI use these dtypes only.
 * Typed arrays use the platform's byte order, little-endian on every target we run on.
 */

export type NpyDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8';

export type NpyData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

export class NpyError extends Error {
  override name = 'NpyError';
}

const DESCR_TO_DTYPE: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|u1': 'uint8',
  '<u1': 'uint8',
};

const DTYPE_TO_DESCR: Record<NpyDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  int64: '<i8',
  int32: '<i4',
  uint8: '|u1',
};

const BYTES_PER_ELEMENT: Record<NpyDtype, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  uint8: 1,
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Parses the Python-literal header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 196), }`. */
function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`npy: malformed header ${JSON.stringify(header)}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) throw new NpyError(`npy: bad dimension ${JSON.stringify(s)}`);
      return n;
    });
  return { descr, fortranOrder: fortran === 'True', shape };
}

export function parseNpy(buffer: ArrayBuffer | ArrayBufferView): NpyArray {
  const bytes =
    buffer instanceof ArrayBuffer
      ? new Uint8Array(buffer)
      : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyError('npy: missing magic string');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError('npy: truncated header');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(`npy: unsupported format version ${String(major)}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new NpyError('npy: truncated header');
  // The keys and values we accept are ASCII, so a byte-wise decode is enough for every version.
  const header = String.fromCharCode(...bytes.subarray(headerStart, dataStart));
  const { descr, fortranOrder, shape } = parseHeader(header);
  if (fortranOrder) throw new NpyError('npy: Fortran order is not supported');
  const dtype = DESCR_TO_DTYPE[descr];
  if (dtype === undefined) throw new NpyError(`npy: unsupported dtype ${descr}`);

  const count = shape.reduce((a, b) => a * b, 1);
  const byteLength = count * BYTES_PER_ELEMENT[dtype];
  if (dataStart + byteLength > bytes.length) {
    throw new NpyError(`npy: expected ${byteLength} data bytes, got ${bytes.length - dataStart}`);
  }
  // Copy so the typed array is aligned and owns its memory, whatever the header length was.
  const raw = bytes.slice(dataStart, dataStart + byteLength).buffer;
  const data: NpyData =
    dtype === 'float32'
      ? new Float32Array(raw)
      : dtype === 'float64'
        ? new Float64Array(raw)
        : dtype === 'int64'
          ? new BigInt64Array(raw)
          : dtype === 'int32'
            ? new Int32Array(raw)
            : new Uint8Array(raw);
  return { dtype, shape, data };
}

function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** Serialises a C-order array as a version 1.0 `.npy` file. */
export function writeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new NpyError(`npy: shape [${shape.join(', ')}] has ${count} elements, data has ${data.length}`);
  }
  const dtype = dtypeOf(data);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DTYPE_TO_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // The header ends with '\n' and the data starts at a multiple of 64 bytes (NumPy's alignment).
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new NpyError('npy: header too long');

  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
