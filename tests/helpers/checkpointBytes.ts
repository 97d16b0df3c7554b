/**
 * Writers for checkpoint bytes the parser tests need: safetensors files, protocol-2 pickles
 * assembled opcode by opcode (hostile ones included), PyTorch zip checkpoints, and hand-made zips
 * whose central directory says what a test wants it to say.
 */
import { zipSync } from 'fflate';

export interface NamedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

export function writeSafetensors(tensors: NamedTensor[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const { name, shape, values } of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.byteLength] };
    offset += values.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setUint32(0, json.byteLength, true);
  return concat([
    length,
    json,
    ...tensors.map(({ values }) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength)),
  ]);
}

/** Pickle opcodes, as bytes. */
export const pk = {
  proto: Uint8Array.of(0x80, 2),
  stop: Uint8Array.of(0x2e),
  mark: Uint8Array.of(0x28),
  tuple: Uint8Array.of(0x74),
  emptyTuple: Uint8Array.of(0x29),
  emptyDict: Uint8Array.of(0x7d),
  reduce: Uint8Array.of(0x52),
  setItems: Uint8Array.of(0x75),
  binPersId: Uint8Array.of(0x51),
  newFalse: Uint8Array.of(0x89),
  int(value: number): Uint8Array {
    const out = new Uint8Array(5);
    out[0] = 0x4a;
    new DataView(out.buffer).setInt32(1, value, true);
    return out;
  },
  unicode(text: string): Uint8Array {
    const bytes = new TextEncoder().encode(text);
    const out = new Uint8Array(5 + bytes.byteLength);
    out[0] = 0x58;
    new DataView(out.buffer).setUint32(1, bytes.byteLength, true);
    out.set(bytes, 5);
    return out;
  },
  global(module: string, name: string): Uint8Array {
    return concat([Uint8Array.of(0x63), new TextEncoder().encode(`${module}\n${name}\n`)]);
  },
  tupleOf(items: Uint8Array[]): Uint8Array {
    return concat([pk.mark, ...items, pk.tuple]);
  },
  program(parts: Uint8Array[]): Uint8Array {
    return concat([pk.proto, ...parts, pk.stop]);
  },
};

export interface PickledTensor {
  name: string;
  storageKey: string;
  storageType?: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
}

function contiguousStride(shape: number[]): number[] {
  const stride = shape.map(() => 1);
  for (let axis = shape.length - 2; axis >= 0; axis--) stride[axis] = stride[axis + 1]! * shape[axis + 1]!;
  return stride;
}

/** The pickle torch.save writes for an OrderedDict state dict (protocol 2). */
export function stateDictPickle(tensors: PickledTensor[]): Uint8Array {
  const orderedDict = () => concat([pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce]);
  const entries = tensors.map((tensor) =>
    concat([
      pk.unicode(tensor.name),
      pk.global('torch._utils', '_rebuild_tensor_v2'),
      pk.tupleOf([
        pk.tupleOf([
          pk.unicode('storage'),
          pk.global('torch', tensor.storageType ?? 'FloatStorage'),
          pk.unicode(tensor.storageKey),
          pk.unicode('cpu'),
          pk.int(tensor.numel),
        ]),
        pk.binPersId,
        pk.int(tensor.offset ?? 0),
        pk.tupleOf(tensor.shape.map(pk.int)),
        pk.tupleOf((tensor.stride ?? contiguousStride(tensor.shape)).map(pk.int)),
        pk.newFalse,
        orderedDict(),
      ]),
      pk.reduce,
    ]),
  );
  return pk.program([orderedDict(), pk.mark, ...entries, pk.setItems]);
}

/** A PyTorch zip checkpoint: `archive/data.pkl` plus the given storages, stored uncompressed. */
export function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {
    'archive/data.pkl': [pickle, { level: 0 }],
  };
  for (const [key, bytes] of Object.entries(storages)) files[`archive/data/${key}`] = [bytes, { level: 0 }];
  return zipSync(files);
}

/**
 * One-member zip written by hand, with the sizes the central directory declares given
 * separately from the data (zip64 fields when they do not fit 32 bits).
 */
export function handMadeZip(
  name: string,
  data: Uint8Array,
  declared: { method: number; compressedSize: number; size: number },
): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const zip64 = declared.size >= 0xffffffff || declared.compressedSize >= 0xffffffff;
  const local = new Uint8Array(30 + nameBytes.byteLength);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(8, declared.method, true);
  lv.setUint16(26, nameBytes.byteLength, true);
  local.set(nameBytes, 30);
  const extra = new Uint8Array(zip64 ? 20 : 0);
  if (zip64) {
    const ev = new DataView(extra.buffer);
    ev.setUint16(0, 1, true);
    ev.setUint16(2, 16, true);
    ev.setBigUint64(4, BigInt(declared.size), true);
    ev.setBigUint64(12, BigInt(declared.compressedSize), true);
  }
  const central = new Uint8Array(46 + nameBytes.byteLength + extra.byteLength);
  const cv = new DataView(central.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(10, declared.method, true);
  cv.setUint32(20, zip64 ? 0xffffffff : declared.compressedSize, true);
  cv.setUint32(24, zip64 ? 0xffffffff : declared.size, true);
  cv.setUint16(28, nameBytes.byteLength, true);
  cv.setUint16(30, extra.byteLength, true);
  cv.setUint32(42, 0, true);
  central.set(nameBytes, 46);
  central.set(extra, 46 + nameBytes.byteLength);
  const end = new Uint8Array(22);
  const endView = new DataView(end.buffer);
  endView.setUint32(0, 0x06054b50, true);
  endView.setUint16(8, 1, true);
  endView.setUint16(10, 1, true);
  endView.setUint32(12, central.byteLength, true);
  endView.setUint32(16, local.byteLength + data.byteLength, true);
  return concat([local, data, central, end]);
}
