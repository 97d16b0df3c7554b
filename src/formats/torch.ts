/**
 * Reads a PyTorch checkpoint (`torch.save` since PyTorch 1.6: a zip of `NAME/data.pkl` plus one
 * raw member per storage) into named tensors that are views into the archive. Used for Hugging
 * Face's `pytorch_model.bin` (a state dict) and Meta's `.pth` (`{'model': state dict}`).
 * The pickle may call only `_rebuild_tensor_v2`, `_rebuild_parameter` and `OrderedDict`, and
 * name only the float storage types (pickle.ts refuses everything else). Pure: no DOM, no Node.
 */
import { PickleGlobal, unpickle } from './pickle';
import { BYTES_PER_VALUE, CheckpointError, elementCount, type RawTensor, type TensorDtype } from './tensor';
import { ZipArchive } from './zip';

class StorageType extends PickleGlobal {
  constructor(
    name: string,
    readonly dtype: TensorDtype,
  ) {
    super(`torch.${name}`);
  }
}

interface Storage {
  dtype: TensorDtype;
  bytes: Uint8Array;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function counts(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every(isCount)) throw new Error(`${what} is not a tuple of sizes`);
  return value as number[];
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: unknown[]): RawTensor {
  const [storage, offset, size, stride] = args as [Storage, unknown, unknown, unknown];
  if (args.length < 4 || !storage || !(storage.bytes instanceof Uint8Array)) {
    throw new Error('its first argument is not a storage');
  }
  if (!isCount(offset)) throw new Error('the storage offset is not a count');
  const shape = counts(size, 'size');
  const strides = counts(stride, 'stride');
  if (strides.length !== shape.length) throw new Error('size and stride differ in length');
  // Only C-contiguous tensors (what a state dict holds); axes of length 1 may have any stride.
  let expected = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    if (shape[axis] !== 1 && strides[axis] !== expected) {
      throw new Error(
        `a tensor of shape [${shape.join(', ')}] has strides [${strides.join(', ')}]: not contiguous`,
      );
    }
    expected *= shape[axis]!;
  }
  const itemBytes = BYTES_PER_VALUE[storage.dtype];
  const start = offset * itemBytes;
  const length = elementCount(shape) * itemBytes;
  if (start + length > storage.bytes.byteLength) {
    throw new Error(
      `a tensor of shape [${shape.join(', ')}] at offset ${offset} needs ${start + length} bytes of a ${storage.bytes.byteLength}-byte storage`,
    );
  }
  return { dtype: storage.dtype, shape, bytes: storage.bytes.subarray(start, start + length) };
}

const GLOBALS = new Map<string, PickleGlobal>(
  [
    new PickleGlobal('collections.OrderedDict', () => new Map()),
    new PickleGlobal('torch._utils._rebuild_tensor_v2', rebuildTensor),
    new PickleGlobal('torch._utils._rebuild_parameter', (args) => args[0]),
    new StorageType('FloatStorage', 'F32'),
    new StorageType('HalfStorage', 'F16'),
    new StorageType('BFloat16Storage', 'BF16'),
    new StorageType('DoubleStorage', 'F64'),
  ].map((global) => [global.qualifiedName, global]),
);

function isTensor(value: unknown): value is RawTensor {
  return typeof value === 'object' && value !== null && (value as RawTensor).bytes instanceof Uint8Array;
}

/**
 * The state dict of a PyTorch checkpoint: the top-level dict itself (Hugging Face), or its
 * `model` entry (Meta). Non-tensor entries (none in either format) are refused by name.
 */
export function readTorchCheckpoint(bytes: Uint8Array, fileName: string): Map<string, RawTensor> {
  const fail = (problem: string): never => {
    throw new CheckpointError(`${fileName}: ${problem}`);
  };
  const archive = new ZipArchive(bytes, fileName);
  const pickleEntry = [...archive.entries.values()].find(
    (entry) => entry.name.endsWith('/data.pkl') && entry.name.split('/').length === 2,
  );
  if (!pickleEntry) return fail('is a zip archive but not a PyTorch checkpoint (no NAME/data.pkl inside)');
  const prefix = pickleEntry.name.slice(0, -'data.pkl'.length);
  const byteOrder = archive.entries.get(`${prefix}byteorder`);
  if (byteOrder && String.fromCharCode(...archive.read(byteOrder).subarray(0, 8)) !== 'little') {
    fail('was saved on a big-endian machine; only little-endian checkpoints are read');
  }
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      throw new Error('only storages may be loaded by persistent id');
    }
    const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
    if (!(type instanceof StorageType)) throw new Error('the storage type is not one of the float storages');
    if (typeof key !== 'string' || !isCount(numel)) throw new Error('a storage key or size is malformed');
    const known = storages.get(key);
    if (known) return known;
    const entry = archive.entries.get(`${prefix}data/${key}`);
    if (!entry) throw new Error(`storage ${key} is named but ${prefix}data/${key} is not in the archive`);
    const storageBytes = archive.read(entry);
    const needed = numel * BYTES_PER_VALUE[type.dtype];
    if (storageBytes.byteLength < needed) {
      throw new Error(
        `storage ${key} holds ${storageBytes.byteLength} bytes, not the ${needed} its ${numel} values need`,
      );
    }
    const storage = { dtype: type.dtype, bytes: storageBytes };
    storages.set(key, storage);
    return storage;
  };
  const root = unpickle(archive.read(pickleEntry), fileName, { globals: GLOBALS, persistentLoad });
  if (!(root instanceof Map)) return fail('does not hold a dict');
  const stateDict =
    root.has('model') && root.get('model') instanceof Map
      ? (root.get('model') as Map<unknown, unknown>)
      : root;
  const tensors = new Map<string, RawTensor>();
  for (const [key, value] of stateDict) {
    if (typeof key !== 'string') fail(`the state dict has a key that is not a string (${String(key)})`);
    if (!isTensor(value)) fail(`"${String(key)}" is not a tensor`);
    tensors.set(key as string, value as RawTensor);
  }
  return tensors;
}
