/**
 * Reads an ONNX file's graph inputs and outputs (names and static dimensions) straight from the
 * protobuf bytes, and checks them against config.json before any session is created. The worker
 * releases the running model before it creates the next one (two large models need not fit in
 * memory together), so a broken file must be refused here, while the previous model still runs.
 * Pure: no DOM, no onnxruntime.
 */
import { type ModelConfig, type ModelFile, patchDim } from '../mae/config';

export class OnnxGraphError extends Error {
  override name = 'OnnxGraphError';
}

export interface OnnxValueInfo {
  name: string;
  /** One entry per axis: its size, or null for a named (dynamic) or absent one. */
  dims: (number | null)[];
}

export interface OnnxGraphInfo {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** Thrown inside the reader; turned into a sentence naming the file by readOnnxGraph. */
class Truncated extends Error {}

interface Field {
  number: number;
  wireType: number;
  /** Varint value (wire type 0). */
  value: number;
  /** Payload of a length-delimited field (wire type 2). */
  bytes: Uint8Array;
}

function readVarint(bytes: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= bytes.length) throw new Truncated();
    const byte = bytes[at.pos++]!;
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return result;
    scale *= 128;
  }
  throw new OnnxGraphError('a varint is longer than 10 bytes');
}

/** Every field of one message, in order; throws Truncated when a field runs past the end. */
function* fields(bytes: Uint8Array): Generator<Field> {
  const at = { pos: 0 };
  const empty = new Uint8Array(0);
  while (at.pos < bytes.length) {
    const key = readVarint(bytes, at);
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    if (number === 0) throw new OnnxGraphError('field number 0');
    switch (wireType) {
      case 0:
        yield { number, wireType, value: readVarint(bytes, at), bytes: empty };
        break;
      case 1:
      case 5: {
        const size = wireType === 1 ? 8 : 4;
        if (at.pos + size > bytes.length) throw new Truncated();
        at.pos += size;
        break;
      }
      case 2: {
        const length = readVarint(bytes, at);
        if (at.pos + length > bytes.length) throw new Truncated();
        yield { number, wireType, value: 0, bytes: bytes.subarray(at.pos, at.pos + length) };
        at.pos += length;
        break;
      }
      default:
        throw new OnnxGraphError(`wire type ${wireType}`);
    }
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → shape = 2 → dim = 1 → dim_value = 1. */
function valueInfo(bytes: Uint8Array): OnnxValueInfo {
  let name = '';
  const dims: (number | null)[] = [];
  for (const field of fields(bytes)) {
    if (field.number === 1 && field.wireType === 2) name = text(field.bytes);
    if (field.number !== 2 || field.wireType !== 2) continue;
    for (const tensor of fields(field.bytes)) {
      if (tensor.number !== 1 || tensor.wireType !== 2) continue;
      for (const shape of fields(tensor.bytes)) {
        if (shape.number !== 2 || shape.wireType !== 2) continue;
        for (const dim of fields(shape.bytes)) {
          if (dim.number !== 1 || dim.wireType !== 2) continue;
          let size: number | null = null;
          for (const part of fields(dim.bytes))
            if (part.number === 1 && part.wireType === 0) size = part.value;
          dims.push(size);
        }
      }
    }
  }
  return { name, dims };
}

/**
 * ModelProto: graph = 7, opset_import = 8; GraphProto: input = 11, output = 12. Initializers are
 * listed as inputs too in older exports; callers look inputs up by name.
 */
export function readOnnxGraph(bytes: Uint8Array, fileName: string): OnnxGraphInfo {
  let graph: Uint8Array | null = null;
  let opsets = 0;
  try {
    for (const field of fields(bytes)) {
      if (field.number === 7 && field.wireType === 2) graph = field.bytes;
      if (field.number === 8 && field.wireType === 2) opsets++;
    }
    if (!graph || opsets === 0) {
      throw new OnnxGraphError(`${fileName} is not an ONNX model: it holds no graph or no opset.`);
    }
    const info: OnnxGraphInfo = { inputs: [], outputs: [] };
    for (const field of fields(graph)) {
      if (field.wireType !== 2) continue;
      if (field.number === 11) info.inputs.push(valueInfo(field.bytes));
      if (field.number === 12) info.outputs.push(valueInfo(field.bytes));
    }
    return info;
  } catch (error) {
    if (error instanceof Truncated) {
      throw new OnnxGraphError(
        `${fileName} is not a complete ONNX model: it ends in the middle of its data ` +
          `(${bytes.byteLength} bytes; cut off while downloading or copying?).`,
      );
    }
    if (error instanceof OnnxGraphError && error.message.startsWith(fileName)) throw error;
    throw new OnnxGraphError(
      `${fileName} is not an ONNX model: its bytes do not read as one (${(error as Error).message}).`,
    );
  }
}

function find(
  list: OnnxValueInfo[],
  name: string,
  fileName: string,
  kind: 'input' | 'output',
): OnnxValueInfo {
  const found = list.find((value) => value.name === name);
  if (!found) {
    const names = list.map((value) => `"${value.name}"`).join(', ') || 'none';
    throw new OnnxGraphError(
      `${fileName} has no ${kind} "${name}" (its ${kind}s: ${names}): it is not a MAE Lens ` +
        'export (docs/model-format.md), or config.json names the wrong file.',
    );
  }
  return found;
}

/** Axis `axis` must be `expected` when the graph fixes it; dynamic axes pass. */
function expectDim(
  value: OnnxValueInfo,
  axis: number,
  expected: number,
  fileName: string,
  configSays: string,
): void {
  const actual = value.dims[axis];
  if (actual === null || actual === undefined || actual === expected) return;
  throw new OnnxGraphError(
    `${fileName}: "${value.name}" has ${actual} in axis ${axis}, but config.json says ${configSays} = ` +
      `${expected}. The ONNX file and config.json come from different exports.`,
  );
}

/**
 * Checks one graph against the contract (docs/model-format.md) and config.json: the input and
 * output names MaeRunner uses, P*P*3 values per patch, N patches, the encoder's width.
 */
export function checkGraph(
  bytes: Uint8Array,
  file: ModelFile,
  role: 'encoder' | 'decoder',
  config: Pick<ModelConfig, 'patchSize' | 'numPatches' | 'encoder'>,
): void {
  const fileName = file.path.split('/').pop() ?? file.path;
  const { inputs, outputs } = readOnnxGraph(bytes, fileName);
  const dim = patchDim(config);
  const perPatch = `patch_size^2 * 3 (patch_size ${config.patchSize})`;
  if (role === 'encoder') {
    expectDim(find(inputs, 'visible_patches', fileName, 'input'), 2, dim, fileName, perPatch);
    find(inputs, 'ids_keep', fileName, 'input');
    expectDim(
      find(outputs, 'latent', fileName, 'output'),
      2,
      config.encoder.embedDim,
      fileName,
      'encoder.embed_dim',
    );
  } else {
    expectDim(
      find(inputs, 'latent', fileName, 'input'),
      2,
      config.encoder.embedDim,
      fileName,
      'encoder.embed_dim',
    );
    expectDim(find(inputs, 'ids_restore', fileName, 'input'), 1, config.numPatches, fileName, 'num_patches');
    expectDim(find(outputs, 'pred', fileName, 'output'), 2, dim, fileName, perPatch);
  }
}
