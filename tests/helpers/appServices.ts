/**
 * The model side of AppServices for component tests: a one-model index and a model whose config is
 * `config`, "started" at once on WASM (a second model too), and the real interpolation baseline
 * computed in place of its worker. Tests add reconstruct, reconstructExactly, loadSample and
 * decodeImage.
 */
import type { ModelConfig } from '../../src/mae/config';
import { fillBaselines } from '../../src/runtime/baseline';
import { MODEL_INDEX_FORMAT } from '../../src/runtime/modelIndex';
import type { AppServices } from '../../src/ui/store';

export type ModelServices = Pick<
  AppServices,
  | 'loadModelIndex'
  | 'fetchModel'
  | 'fetchModelFromUrl'
  | 'readLocalModel'
  | 'startModel'
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
    startSecondModel: async () => ({ executionProvider: 'wasm', threads: 2, crossOriginIsolated: true }),
    releaseSecondModel: async () => {},
    interpolate: async (request) => fillBaselines(request),
  };
}
