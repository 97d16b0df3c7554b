/**
 * Smallest ONNX files that pass src/runtime/onnxGraph.ts: a ModelProto with an opset and a graph
 * that declares inputs and outputs but has no nodes. Enough for tests of fetching, caching and
 * checking; onnxruntime cannot run them.
 */

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

function bytesField(number: number, payload: number[] | Uint8Array): number[] {
  return [...varint(number * 8 + 2), ...varint(payload.length), ...payload];
}

function varintField(number: number, value: number): number[] {
  return [...varint(number * 8), ...varint(value)];
}

/** `dims`: a number for a fixed axis, a string for a named (dynamic) one. */
export type FakeValue = [name: string, dims: (number | string)[]];

function valueInfo([name, dims]: FakeValue): number[] {
  const dimensions = dims.flatMap((dim) =>
    bytesField(
      1,
      typeof dim === 'number' ? varintField(1, dim) : bytesField(2, [...new TextEncoder().encode(dim)]),
    ),
  );
  const tensor = [...varintField(1, 1), ...bytesField(2, dimensions)];
  return [...bytesField(1, [...new TextEncoder().encode(name)]), ...bytesField(2, bytesField(1, tensor))];
}

export function fakeOnnx(inputs: FakeValue[], outputs: FakeValue[], tag = 0): Uint8Array {
  const graph = [
    ...bytesField(2, [...new TextEncoder().encode(`graph${tag}`)]),
    ...inputs.flatMap((value) => bytesField(11, valueInfo(value))),
    ...outputs.flatMap((value) => bytesField(12, valueInfo(value))),
  ];
  return new Uint8Array([
    ...varintField(1, 8),
    ...bytesField(7, graph),
    ...bytesField(8, varintField(2, 17)),
  ]);
}

/** Encoder and decoder graphs with the contract's names for a config's geometry. */
export function fakeMaeGraphs(
  config: { patchSize: number; numPatches: number; encoderDim: number },
  tag = 0,
): { encoder: Uint8Array; decoder: Uint8Array } {
  const dim = config.patchSize * config.patchSize * 3;
  return {
    encoder: fakeOnnx(
      [
        ['visible_patches', ['batch', 'visible', dim]],
        ['ids_keep', ['batch', 'visible']],
      ],
      [['latent', ['batch', 'tokens', config.encoderDim]]],
      tag,
    ),
    decoder: fakeOnnx(
      [
        ['latent', ['batch', 'tokens', config.encoderDim]],
        ['ids_restore', ['batch', config.numPatches]],
      ],
      [['pred', ['batch', 'patches', dim]]],
      tag,
    ),
  };
}
