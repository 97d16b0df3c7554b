/**
 * The PyTorch checkpoint reader and its parts (zip, restricted unpickler): real checkpoints read,
 * hostile and broken ones refused with a message naming the file and the problem.
 */
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { deflateSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';

import {
  handMadeZip,
  type PickledTensor,
  pk,
  stateDictPickle,
  torchZip,
} from '../../tests/helpers/checkpointBytes';
import { referenceDir } from '../../tests/helpers/fixture';
import { PickleGlobal, unpickle } from './pickle';
import { CheckpointError, toFloat32 } from './tensor';
import { readTorchCheckpoint } from './torch';
import { ZipArchive } from './zip';

const bin = new Uint8Array(readFileSync(`${referenceDir}hf/pytorch_model.bin`));
const pth = new Uint8Array(readFileSync(`${referenceDir}official/checkpoint.pth`));

const read = (bytes: Uint8Array) => () => readTorchCheckpoint(bytes, 'pytorch_model.bin');

function readsOrRefuses(bytes: Uint8Array): void {
  try {
    readTorchCheckpoint(bytes, 'pytorch_model.bin');
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(/^pytorch_model\.bin: /);
  }
}

const floats = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const weight: PickledTensor = { name: 'w', storageKey: '0', numel: 6, shape: [2, 3] };

describe('readTorchCheckpoint', () => {
  it('reads Hugging Face’s state dict and Meta’s {model: state dict}, as views into the archive', () => {
    const hf = readTorchCheckpoint(bin, 'pytorch_model.bin');
    const meta = readTorchCheckpoint(pth, 'checkpoint.pth');
    expect(hf.size).toBe(94);
    expect(meta.get('blocks.0.attn.qkv.weight')!.shape).toEqual([576, 192]);
    expect(hf.get('vit.embeddings.cls_token')!.bytes.buffer).toBe(bin.buffer);
  });

  it('reads a hand-written state dict with offsets into a shared storage', () => {
    const pickle = stateDictPickle([weight, { name: 'b', storageKey: '0', numel: 6, offset: 4, shape: [2] }]);
    const tensors = readTorchCheckpoint(torchZip(pickle, { '0': floats(1, 2, 3, 4, 5, 6) }), 'x.pth');
    expect(Array.from(toFloat32(tensors.get('w')!))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(toFloat32(tensors.get('b')!))).toEqual([5, 6]);
  });

  it('refuses every truncation of a real checkpoint', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bin.byteLength - 1 }), (length) => {
        expect(read(bin.subarray(0, length))).toThrow(CheckpointError);
      }),
    );
  });

  it('reads or refuses, never crashes, when the directory or the pickle is corrupted', () => {
    const pickleStart = new ZipArchive(bin, 'x').entries.get('pytorch_model/data.pkl')!.dataOffset;
    const regions = [
      fc.integer({ min: bin.byteLength - 12_000, max: bin.byteLength - 1 }), // central directory
      fc.integer({ min: pickleStart, max: pickleStart + 9000 }), // data.pkl
    ];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(...regions), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (flips) => {
          const bytes = bin.slice();
          for (const [at, value] of flips) bytes[at] = value;
          readsOrRefuses(bytes);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses storages that are too small, missing, or of a refused type, and strided tensors', () => {
    const zip = (tensors: PickledTensor[], storages: Record<string, Uint8Array>) =>
      torchZip(stateDictPickle(tensors), storages);
    expect(read(zip([weight], { '0': floats(1, 2) }))).toThrow(
      /storage 0 holds 8 bytes, not the 24 its 6 values need/,
    );
    expect(read(zip([{ ...weight, numel: 2 }], { '0': floats(1, 2) }))).toThrow(
      /shape \[2, 3\] at offset 0 needs 24 bytes of a 8-byte storage/,
    );
    expect(read(zip([weight], {}))).toThrow(/storage 0 is named but archive\/data\/0 is not in the archive/);
    expect(read(zip([{ ...weight, storageType: 'LongStorage' }], { '0': floats(1, 2, 3, 4, 5, 6) }))).toThrow(
      /refuses global torch\.LongStorage/,
    );
    expect(read(zip([{ ...weight, stride: [1, 2] }], { '0': floats(1, 2, 3, 4, 5, 6) }))).toThrow(
      /strides \[1, 2\]: not contiguous/,
    );
    expect(read(zipSync({ 'a.txt': new Uint8Array(3) }))).toThrow(/no NAME\/data\.pkl inside/);
    expect(read(Uint8Array.of(0x80, 0x02, 0x8a, 0x0a))).toThrow(/legacy \(pre-1\.6\) PyTorch file/);
  });
});

describe('ZipArchive', () => {
  it('stops a zip bomb at its declared size', () => {
    const zeros = deflateSync(new Uint8Array(20_000_000)); // ~20 kB
    const lying = handMadeZip('archive/data.pkl', zeros, {
      method: 8,
      compressedSize: zeros.byteLength,
      size: 1000,
    });
    const archive = new ZipArchive(lying, 'bomb.pth');
    expect(() => archive.read(archive.entries.get('archive/data.pkl')!)).toThrow(
      /bomb\.pth: member archive\/data\.pkl inflates to more than its declared 1000 bytes \(a zip bomb\?\)/,
    );
    const boasting = handMadeZip('archive/data.pkl', zeros, {
      method: 8,
      compressedSize: zeros.byteLength,
      size: 3_000_000_000,
    });
    const big = new ZipArchive(boasting, 'bomb.pth');
    expect(() => big.read(big.entries.get('archive/data.pkl')!)).toThrow(/more than deflate can give/);
  });

  it('refuses a member declaring 10 GB', () => {
    const zip = handMadeZip('archive/data/0', new Uint8Array(16), {
      method: 0,
      compressedSize: 10_000_000_000,
      size: 10_000_000_000,
    });
    expect(() => new ZipArchive(zip, 'huge.pth')).toThrow(
      /huge\.pth: member archive\/data\/0 declares a size of 10000000000 bytes, over the 4 GiB limit/,
    );
  });

  it('refuses a member whose data runs past the archive', () => {
    const zip = handMadeZip('m', new Uint8Array(16), { method: 0, compressedSize: 5000, size: 5000 });
    expect(() => new ZipArchive(zip, 'x.pth')).toThrow(/the data of member m \(5000 bytes\) lies outside/);
  });
});

describe('unpickle', () => {
  const options = { globals: new Map<string, PickleGlobal>(), persistentLoad: () => null };
  const run = (bytes: Uint8Array) => () => unpickle(bytes, 'data.pkl', options);

  it('refuses globals outside the allowed list, naming them, before calling anything', () => {
    const system = pk.program([pk.global('os', 'system'), pk.tupleOf([pk.unicode('rm -rf /')]), pk.reduce]);
    expect(run(system)).toThrow(/data\.pkl: pickle byte 2: refuses global os\.system/);
    const evil = pk.program([pk.global('builtins', 'eval'), pk.tupleOf([pk.unicode('1')]), pk.reduce]);
    expect(run(evil)).toThrow(/refuses global builtins\.eval/);
    // STACK_GLOBAL with names from the stack
    const stacked = pk.program([pk.unicode('subprocess'), pk.unicode('Popen'), Uint8Array.of(0x93)]);
    expect(run(stacked)).toThrow(/refuses global subprocess\.Popen/);
  });

  it('refuses REDUCE of a global that may only be named', () => {
    const globals = new Map([['torch.FloatStorage', new PickleGlobal('torch.FloatStorage')]]);
    const bytes = pk.program([pk.global('torch', 'FloatStorage'), pk.emptyTuple, pk.reduce]);
    expect(() => unpickle(bytes, 'data.pkl', { globals, persistentLoad: () => null })).toThrow(
      /REDUCE calls torch\.FloatStorage, which is not allowed/,
    );
  });

  it('refuses the object-building opcodes by name', () => {
    const opcodes: [number, string][] = [
      [0x69, 'INST'],
      [0x6f, 'OBJ'],
      [0x81, 'NEWOBJ'],
      [0x92, 'NEWOBJ_EX'],
      [0x82, 'EXT1'],
      [0x50, 'PERSID'],
      [0x8f, 'EMPTY_SET'],
    ];
    for (const [code, name] of opcodes) {
      expect(run(pk.program([Uint8Array.of(code)]))).toThrow(new RegExp(`opcode ${name} is not allowed`));
    }
  });

  it('never hangs or crashes on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          unpickle(bytes, 'data.pkl', options);
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
          expect((error as Error).message).toMatch(/^data\.pkl: pickle byte \d+: /);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
