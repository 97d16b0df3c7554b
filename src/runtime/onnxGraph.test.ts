import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { fakeMaeGraphs, fakeOnnx } from '../../tests/helpers/onnxBytes';
import { parseModelConfig } from '../mae/config';
import { checkGraph, OnnxGraphError, readOnnxGraph } from './onnxGraph';

const smallFolder = fileURLToPath(new URL('../../models/mae-small/', import.meta.url));
const small = parseModelConfig(JSON.parse(readFileSync(`${smallFolder}config.json`, 'utf8')));
const read = (name: string) => new Uint8Array(readFileSync(`${smallFolder}${name}`));
const decoder = read('decoder.onnx');

describe('readOnnxGraph', () => {
  it('reads the inputs and outputs of the exported graphs, fixed and named axes', () => {
    const info = readOnnxGraph(read('encoder.lean.onnx'), 'encoder.lean.onnx');
    const dim = small.patchSize ** 2 * 3;
    expect(info.inputs).toEqual([
      { name: 'visible_patches', dims: [null, null, dim] },
      { name: 'ids_keep', dims: [null, null] },
    ]);
    expect(info.outputs).toEqual([{ name: 'latent', dims: [null, null, small.encoder.embedDim] }]);
    expect(readOnnxGraph(decoder, 'decoder.onnx').inputs[1]).toEqual({
      name: 'ids_restore',
      dims: [null, small.numPatches],
    });
  });

  it('refuses every truncation of a real graph, naming the file', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: decoder.length - 1 }), (cut) => {
        expect(() => readOnnxGraph(decoder.subarray(0, cut), 'decoder.onnx')).toThrow(
          /^decoder\.onnx is not (a complete ONNX model|an ONNX model)/,
        );
      }),
      { numRuns: 200 },
    );
    expect(() => readOnnxGraph(decoder.subarray(0, decoder.length >> 1), 'decoder.onnx')).toThrow(
      `decoder.onnx is not a complete ONNX model: it ends in the middle of its data (${decoder.length >> 1} bytes`,
    );
  });

  it('throws only OnnxGraphError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          readOnnxGraph(bytes, 'x.onnx');
        } catch (error) {
          expect(error).toBeInstanceOf(OnnxGraphError);
          expect((error as Error).message).toMatch(/^x\.onnx /);
        }
      }),
      { numRuns: 2000 },
    );
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]);
    expect(() => readOnnxGraph(jpeg, 'encoder.onnx')).toThrow(
      /^encoder\.onnx is not (a complete ONNX|an ONNX) model/,
    );
    expect(() => readOnnxGraph(new Uint8Array(0), 'encoder.onnx')).toThrow(
      'encoder.onnx is not an ONNX model: it holds no graph or no opset.',
    );
  });
});

describe('checkGraph against config.json', () => {
  const file = (path: string) => ({ path });

  it('accepts the bundled model and its lean graphs', () => {
    checkGraph(read('encoder.onnx'), small.files.encoder, 'encoder', small);
    checkGraph(decoder, small.files.decoder, 'decoder', small);
    checkGraph(read('encoder.lean.onnx'), small.files.encoderLean!, 'encoder', small);
    checkGraph(read('decoder.lean.onnx'), small.files.decoderLean!, 'decoder', small);
  });

  it('names the axis when config.json describes another geometry', () => {
    // patch_size 8 on 224 px: 784 patches of 192 values, against graphs built for 196 of 768.
    const other = { ...small, patchSize: 8, numPatches: 784 };
    expect(() =>
      checkGraph(read('encoder.lean.onnx'), file('m/encoder.lean.onnx'), 'encoder', other),
    ).toThrow(
      'encoder.lean.onnx: "visible_patches" has 768 in axis 2, but config.json says patch_size^2 * 3 ' +
        '(patch_size 8) = 192. The ONNX file and config.json come from different exports.',
    );
    expect(() => checkGraph(decoder, file('decoder.onnx'), 'decoder', other)).toThrow(
      'decoder.onnx: "ids_restore" has 196 in axis 1, but config.json says num_patches = 784.',
    );
    const wider = { ...small, encoder: { ...small.encoder, embedDim: small.encoder.embedDim * 2 } };
    expect(() => checkGraph(decoder, file('decoder.onnx'), 'decoder', wider)).toThrow(
      /"latent" has 256 in axis 2, but config\.json says encoder\.embed_dim = 512/,
    );
  });

  it('names a missing input or output and lists what the graph has', () => {
    const geometry = { patchSize: 2, numPatches: 4, encoderDim: 8 };
    const config = {
      patchSize: 2,
      numPatches: 4,
      encoder: { embedDim: 8, depth: 1, numHeads: 1, mlpHidden: 8 },
    };
    const { encoder } = fakeMaeGraphs(geometry);
    checkGraph(encoder, file('encoder.onnx'), 'encoder', config);
    const renamed = fakeOnnx(
      [
        ['pixel_values', ['batch', 'visible', 12]],
        ['ids_keep', ['batch', 'visible']],
      ],
      [['latent', ['batch', 'tokens', 8]]],
    );
    expect(() => checkGraph(renamed, file('encoder.onnx'), 'encoder', config)).toThrow(
      'encoder.onnx has no input "visible_patches" (its inputs: "pixel_values", "ids_keep")',
    );
    // The encoder given where the decoder belongs.
    expect(() => checkGraph(encoder, file('decoder.onnx'), 'decoder', config)).toThrow(
      'decoder.onnx has no input "latent" (its inputs: "visible_patches", "ids_keep")',
    );
  });
});
