/** A held-out evaluation for tests; no Node imports, so the jsdom component tests use it too. */
import type { ModelEvaluation } from '../../src/formats/config';

/** As config.json's `evaluation` records one (`npm run eval -- --record-in-config`). */
export function tinyEvaluation(): ModelEvaluation {
  return {
    data: 'tuxpaint-data, never trained on',
    images: 21,
    maskRatio: 0.75,
    seeds: [0, 1, 2],
    modelPsnr: 17.634,
    interpolationPsnr: 16.543,
    convergedDiffusionPsnr: 17.086,
    winsOverInterpolation: 19,
    winsOverConvergedDiffusion: 16,
  };
}
