/**
 * The model side of AppServices for component tests: a one-model index and a model whose config is
 * `config`, "started" at once on WASM (a second model too), no camera (like jsdom), exact runs
 * answered with a fake reconstruction, and the real interpolation baseline computed in place of
 * its worker. Tests add reconstruct, loadSample and decodeImage.
 */
import { gridSize, type ModelConfig, parseModelConfig } from '../../src/formats/config';
import { buildMasking, type MaskSpec } from '../../src/mae/maskModes';
import { fillBaselines } from '../../src/runtime/baseline';
import { MODEL_INDEX_FORMAT } from '../../src/runtime/modelIndex';
import type { Reconstruction } from '../../src/runtime/protocol';
import type { AppServices } from '../../src/ui/store';

export type ModelServices = Pick<
  AppServices,
  | 'loadModelIndex'
  | 'fetchModel'
  | 'fetchModelFromUrl'
  | 'describeRemoteModel'
  | 'readLocalModel'
  | 'startModel'
  | 'openCamera'
  | 'reconstructExactly'
  | 'startSecondModel'
  | 'releaseSecondModel'
  | 'interpolate'
>;

export function singleModelServices(config: ModelConfig, id = 'test'): ModelServices {
  return {
    loadModelIndex: async () => ({
      format: MODEL_INDEX_FORMAT,
      default: id,
      models: [
        {
          id,
          name: config.name,
          config: `models/${id}/config.json`,
          bytes: 2_500_000,
          parameters: 1_200_000,
          imageSize: config.imageSize,
          patchSize: config.patchSize,
          evaluation: config.evaluation ?? null,
        },
      ],
    }),
    fetchModel: async () => ({ config, bytes: { encoder: new Uint8Array(1), decoder: new Uint8Array(1) } }),
    fetchModelFromUrl: async () => {
      throw new Error('not used');
    },
    describeRemoteModel: async () => {
      throw new Error('not used');
    },
    readLocalModel: async () => {
      throw new Error('not used');
    },
    startModel: async () => ({ executionProvider: 'wasm', threads: 2, crossOriginIsolated: true }),
    reconstructExactly: async (input) => fakeReconstruction(config, input.mask),
    startSecondModel: async () => ({ executionProvider: 'wasm', threads: 2, crossOriginIsolated: true }),
    releaseSecondModel: async () => {},
    interpolate: async (request) => fillBaselines(request),
    openCamera: async () => {
      throw new DOMException('Requested device not found', 'NotFoundError');
    },
  };
}

/** A reconstruction of the right shapes for `mask` on `config`'s grid, every view byte `fill`. */
export function fakeReconstruction(config: ModelConfig, mask: MaskSpec, fill = 0): Reconstruction {
  const view = new Uint8ClampedArray(config.imageSize * config.imageSize * 4).fill(fill);
  const masking = buildMasking(mask, gridSize(config));
  return {
    views: { original: view, masked: view, reconstruction: view, reconstructionPlusVisible: view },
    mask: masking.mask,
    visiblePatches: masking.idsKeep.length,
    numPatches: config.numPatches,
    maskedMse: 460,
    maskedPsnr: 21.5,
    maskMs: 0.2,
    encoderMs: 12.3,
    decoderMs: 4.5,
    postMs: 2,
    totalMs: 20,
  };
}

/** A tiny valid config of this geometry (tests/helpers/fixture.ts reads files through node:url, which jsdom's URL does not satisfy). */
export function configWith(imageSize: number, patchSize: number, name = 'Test MAE'): ModelConfig {
  return parseModelConfig({
    format: 'mae-lens-model/1',
    name,
    source: { format: 'random' },
    image_size: imageSize,
    patch_size: patchSize,
    in_chans: 3,
    num_patches: (imageSize / patchSize) ** 2,
    encoder: { embed_dim: 8, depth: 1, num_heads: 2, mlp_hidden: 16 },
    decoder: { embed_dim: 8, depth: 1, num_heads: 2, mlp_hidden: 16 },
    layer_norm_eps: 1e-6,
    norm_pix_loss: false,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    opset: 17,
    files: { encoder: { path: 'encoder.onnx' }, decoder: { path: 'decoder.onnx' } },
  });
}
