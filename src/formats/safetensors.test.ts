/** safetensors: round trip, and every malformed file refused with a message naming it. */
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { writeSafetensors } from '../../tests/helpers/checkpointBytes';
import { referenceDir } from '../../tests/helpers/fixture';
import { readSafetensors } from './safetensors';
import { CheckpointError, toFloat32 } from './tensor';

const fixture = new Uint8Array(readFileSync(`${referenceDir}hf/model.safetensors`));

function withHeader(header: unknown, body = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + body.byteLength);
  new DataView(out.buffer).setUint32(0, json.byteLength, true);
  out.set(json, 8);
  out.set(body, 8 + json.byteLength);
  return out;
}

/** Reading either succeeds or throws a CheckpointError that names the file; nothing else. */
function readsOrRefuses(bytes: Uint8Array): void {
  try {
    readSafetensors(bytes, 'model.safetensors');
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(/^model\.safetensors: /);
  }
}

const refusal = (bytes: Uint8Array) => () => readSafetensors(bytes, 'model.safetensors');

describe('readSafetensors', () => {
  it('reads back what was written, as views into the file', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
            seed: fc.float({ noNaN: true }),
          }),
          { maxLength: 5 },
        ),
        (specs) => {
          const tensors = specs.map(({ shape, seed }, i) => {
            const count = shape.reduce((a, b) => a * b, 1);
            return { name: `t${i}`, shape, values: Float32Array.from({ length: count }, (_, j) => seed + j) };
          });
          const read = readSafetensors(writeSafetensors(tensors), 'model.safetensors');
          expect(read.size).toBe(tensors.length);
          for (const { name, shape, values } of tensors) {
            expect(read.get(name)!.shape).toEqual(shape);
            expect(Array.from(toFloat32(read.get(name)!))).toEqual(Array.from(values));
          }
        },
      ),
    );
  });

  it('reads the fixture checkpoint', () => {
    const tensors = readSafetensors(fixture, 'model.safetensors');
    expect(tensors.get('vit.embeddings.cls_token')!.shape).toEqual([1, 1, 192]);
    expect(tensors.get('vit.embeddings.cls_token')!.bytes.buffer).toBe(fixture.buffer);
  });

  it('refuses every truncation of the fixture, naming the file', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: fixture.byteLength - 1 }), (length) => {
        expect(refusal(fixture.subarray(0, length))).toThrow(CheckpointError);
        readsOrRefuses(fixture.subarray(0, length));
      }),
    );
  });

  it('never fails other than with a CheckpointError on corrupted headers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (flips) => {
          const bytes = fixture.slice(0, 30_000);
          for (const [at, value] of flips) bytes[at] = value;
          readsOrRefuses(bytes);
        },
      ),
    );
  });

  it('refuses a header length of 10 GB', () => {
    const bytes = fixture.slice(0, 1000);
    new DataView(bytes.buffer).setBigUint64(0, 10_000_000_000n, true);
    expect(refusal(bytes)).toThrow(/model\.safetensors: the header declares 10000000000 bytes/);
  });

  it('refuses lying offsets, a 10 GB tensor, wrong dtypes and shapes', () => {
    const body = new Uint8Array(16);
    expect(refusal(withHeader({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 32] } }, body))).toThrow(
      /tensor "a": data_offsets \[0, 32\] do not hold shape \[4\] of F32/,
    );
    expect(refusal(withHeader({ a: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, body))).toThrow(
      /tensor "a" ends at byte 32 of the data but there are only 16/,
    );
    expect(
      refusal(
        withHeader({ a: { dtype: 'F32', shape: [2_500_000_000], data_offsets: [0, 10_000_000_000] } }, body),
      ),
    ).toThrow(/tensor "a" ends at byte 10000000000/);
    expect(refusal(withHeader({ a: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, body))).toThrow(
      /tensor "a" has dtype "I64"; only F32, F16, BF16, F64 are read/,
    );
    expect(refusal(withHeader({ a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, body))).toThrow(
      /tensor "a" has an invalid shape/,
    );
    expect(refusal(withHeader([1, 2]))).toThrow(/the header is not a JSON object/);
    expect(refusal(new TextEncoder().encode('{"not": "safetensors"}'))).toThrow(/model\.safetensors: /);
  });

  it('converts F16, BF16 and F64 to float32', () => {
    const halves = Uint16Array.of(0x3c00, 0xc000, 0x0000); // 1, -2, 0
    const bf16 = Uint16Array.of(0x3f80, 0xc040); // 1, -3
    const doubles = Float64Array.of(0.5, -1.25);
    const file = withHeader(
      {
        h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
        d: { dtype: 'F64', shape: [2], data_offsets: [10, 26] },
      },
      new Uint8Array([
        ...new Uint8Array(halves.buffer),
        ...new Uint8Array(bf16.buffer),
        ...new Uint8Array(doubles.buffer),
      ]),
    );
    const read = readSafetensors(file, 'model.safetensors');
    expect(Array.from(toFloat32(read.get('h')!))).toEqual([1, -2, 0]);
    expect(Array.from(toFloat32(read.get('b')!))).toEqual([1, -3]);
    expect(Array.from(toFloat32(read.get('d')!))).toEqual([0.5, -1.25]);
  });
});
