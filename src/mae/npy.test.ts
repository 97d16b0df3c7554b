import { describe, expect, it } from 'vitest';

import { loadReference } from '../../tests/helpers/fixture';
import { NpyError, parseNpy, writeNpy } from './npy';

describe('npy', () => {
  it('reads the fixture dtypes and shapes', () => {
    const noise = loadReference('r75_noise.npy');
    expect(noise.dtype).toBe('float32');
    expect(noise.shape).toEqual([1, 196]);
    expect(noise.data).toHaveLength(196);

    const idsKeep = loadReference('r75_ids_keep.npy');
    expect(idsKeep.dtype).toBe('int64');
    expect(idsKeep.shape).toEqual([1, 49]);

    const image = loadReference('image_uint8.npy');
    expect(image.dtype).toBe('uint8');
    expect(image.shape).toEqual([224, 224, 3]);
  });

  it('round-trips every dtype, including scalars and 1-D shapes', () => {
    const arrays = [
      { data: new Float32Array([1.5, -2, Math.PI]), shape: [3] },
      { data: new Float64Array([1e-300, 2, 3, 4]), shape: [2, 2] },
      { data: new BigInt64Array([-1n, 2n ** 40n]), shape: [1, 2] },
      { data: new Int32Array([7]), shape: [] },
      { data: new Uint8Array([0, 255, 128, 1, 2, 3]), shape: [1, 2, 3] },
    ];
    for (const { data, shape } of arrays) {
      const bytes = writeNpy(data, shape);
      // NumPy aligns the data to 64 bytes.
      expect((bytes.length - data.byteLength) % 64).toBe(0);
      const back = parseNpy(bytes);
      expect(back.shape).toEqual(shape);
      expect(back.data).toEqual(data);
    }
  });

  it('reads a subarray view at an odd offset', () => {
    const bytes = writeNpy(new Float32Array([1, 2, 3]), [3]);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(Array.from(parseNpy(padded.subarray(3)).data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('rejects bad input with NpyError', () => {
    expect(() => parseNpy(new Uint8Array(20))).toThrow(NpyError);
    expect(() => writeNpy(new Float32Array(3), [2, 2])).toThrow(NpyError);
    const full = writeNpy(new Float32Array(16), [16]);
    expect(() => parseNpy(full.subarray(0, full.length - 4))).toThrow(/expected 64 data bytes, got 60/);
    expect(() => parseNpy(full.subarray(0, 30))).toThrow(/truncated header/);
  });
});
