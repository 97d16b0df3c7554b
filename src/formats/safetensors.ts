/**
 * Reads a `.safetensors` file (huggingface/safetensors): an 8-byte little-endian header length,
 * a JSON header `{name: {dtype, shape, data_offsets: [start, end]}}`, then the tensors' bytes.
 * Written here rather than taken from a package: the format is these few lines, and the tensors
 * must stay views into the file (a 1.3 GB checkpoint is not copied). Every number in the header
 * is checked against the file before use. Pure: no DOM, no Node.
 */
import {
  BYTES_PER_VALUE,
  CheckpointError,
  elementCount,
  type RawTensor,
  TENSOR_DTYPES,
  type TensorDtype,
} from './tensor';
import { decodeUtf8 } from './text';

/** Headers of real checkpoints are tens of kB; the format itself caps them at 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

export function readSafetensors(bytes: Uint8Array, fileName: string): Map<string, RawTensor> {
  const fail = (problem: string): never => {
    throw new CheckpointError(`${fileName}: ${problem}`);
  };
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerBytes > MAX_HEADER_BYTES || headerBytes > bytes.byteLength - 8) {
    fail(
      `the header declares ${headerBytes} bytes but the file has ${bytes.byteLength - 8} after the length ` +
        '(not a safetensors file, or cut off while downloading)',
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(decodeUtf8(bytes.subarray(8, 8 + headerBytes)));
  } catch (error) {
    fail(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(header)) return fail('the header is not a JSON object');
  const body = bytes.subarray(8 + headerBytes);
  const tensors = new Map<string, RawTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const where = `tensor "${name}"`;
    if (!isRecord(info)) fail(`${where} is not described by an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(TENSOR_DTYPES as readonly string[]).includes(dtype)) {
      fail(`${where} has dtype ${JSON.stringify(dtype)}; only ${TENSOR_DTYPES.join(', ')} are read`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${where} has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      fail(`${where} has invalid data_offsets`);
    }
    const [start, end] = offsets as [number, number];
    const dims = shape as number[];
    const expected = elementCount(dims) * BYTES_PER_VALUE[dtype as TensorDtype];
    if (end < start || end - start !== expected) {
      fail(`${where}: data_offsets [${start}, ${end}] do not hold shape [${dims.join(', ')}] of ${dtype}`);
    }
    if (end > body.byteLength) {
      fail(
        `${where} ends at byte ${end} of the data but there are only ${body.byteLength} ` +
          '(the file is cut off, or its header lies)',
      );
    }
    tensors.set(name, { dtype: dtype as TensorDtype, shape: dims, bytes: body.subarray(start, end) });
  }
  return tensors;
}
