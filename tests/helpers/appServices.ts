/**
 * The model side of AppServices for component tests: a one-model index and a model whose config is
 * `config`, "started" at once on WASM, and no camera (like jsdom). Tests add reconstruct,
 * loadSample and decodeImage.
 */
import { gridSize, type ModelConfig } from '../../src/mae/config';
import { buildMasking, type MaskSpec } from '../../src/mae/maskModes';
import { MODEL_INDEX_FORMAT } from '../../src/runtime/modelIndex';
import type { Reconstruction } from '../../src/runtime/protocol';
import type { AppServices } from '../../src/ui/store';

export type ModelServices = Pick<
  AppServices,
  'loadModelIndex' | 'fetchModel' | 'fetchModelFromUrl' | 'readLocalModel' | 'startModel' | 'openCamera'
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
        },
      ],
    }),
    fetchModel: async () => ({ config, bytes: { encoder: new Uint8Array(1), decoder: new Uint8Array(1) } }),
    fetchModelFromUrl: async () => {
      throw new Error('not used');
    },
    readLocalModel: async () => {
      throw new Error('not used');
    },
    startModel: async () => ({ executionProvider: 'wasm', threads: 2, crossOriginIsolated: true }),
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
