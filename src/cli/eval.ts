/**
 * `npm run eval -- --model models/NAME --data DIR [--mask-ratio 0.75] [--seeds 0,1,2] [--json]`
 *
 * Masked-patch PSNR of the model and of the two classical baselines (mean-colour fill and
 * interpolation + diffusion) over a folder of photos, with the same src/mae pipeline as the app.
 */
import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

import { interpolationBaseline, maskedMetrics, meanColorFill } from '../mae/metrics';
import { prepareImage } from '../mae/pipeline';
import { reconstruct } from '../runtime/reconstruct';
import { IMAGE_EXTENSIONS, readImage } from './images';
import { loadNodeModel } from './model';

export interface EvalOptions {
  model: string;
  data: string;
  maskRatio: number;
  seeds: number[];
  json: boolean;
}

export interface ImageScore {
  image: string;
  model_psnr: number;
  mean_fill_psnr: number;
  interpolation_psnr: number;
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

export async function evaluate(
  options: EvalOptions,
): Promise<{ images: ImageScore[]; summary: Omit<ImageScore, 'image'> }> {
  const model = await loadNodeModel(options.model);
  const { imageSize, patchSize } = model.config;
  const files = (await readdir(options.data))
    .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
    .sort();
  if (files.length === 0) throw new Error(`${options.data}: no .png/.jpg images`);
  const images: ImageScore[] = [];
  for (const file of files) {
    const input = prepareImage(await readImage(join(options.data, file)), model.config);
    const scores = { model: [] as number[], meanFill: [] as number[], interpolation: [] as number[] };
    for (const seed of options.seeds) {
      const run = await reconstruct(model.runner, model.config, input, {
        mask: { mode: 'random', ratio: options.maskRatio, seed },
      });
      const truth = input.image.data;
      const psnr = (pixels: ArrayLike<number>) =>
        maskedMetrics(truth, pixels, run.mask, imageSize, patchSize).psnr;
      scores.model.push(run.maskedPsnr);
      scores.meanFill.push(psnr(meanColorFill(truth, run.mask, imageSize, patchSize)));
      scores.interpolation.push(interpolationBaseline(truth, run.mask, imageSize, patchSize).psnr);
    }
    const score = {
      image: basename(file),
      model_psnr: mean(scores.model),
      mean_fill_psnr: mean(scores.meanFill),
      interpolation_psnr: mean(scores.interpolation),
    };
    images.push(score);
    if (!options.json || process.stderr.isTTY) {
      const line = `${score.image.padEnd(48)} model ${score.model_psnr.toFixed(2)}  interp ${score.interpolation_psnr.toFixed(2)}  mean ${score.mean_fill_psnr.toFixed(2)} dB`;
      (options.json ? console.error : console.log)(line);
    }
  }
  await model.release();
  const summary = {
    model_psnr: mean(images.map((s) => s.model_psnr)),
    mean_fill_psnr: mean(images.map((s) => s.mean_fill_psnr)),
    interpolation_psnr: mean(images.map((s) => s.interpolation_psnr)),
  };
  return { images, summary };
}
