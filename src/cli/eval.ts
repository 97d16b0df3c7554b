/**
 * `npm run eval -- --model models/NAME --data DIR [--mask-ratio 0.75] [--seeds 0,1,2]
 *                  [--baseline diffusion:N]... [--json] [--record-in-config "WHAT THE PHOTOS ARE"]`
 *
 * Masked-patch PSNR of the model and of the classical baselines (mean-colour fill, interpolation
 * + 200 diffusion rounds, and inverse-distance + N diffusion rounds for converged diffusion and
 * every `--baseline diffusion:N`) over a folder of photos, with the same src/mae pipeline as the app.
 * --record-in-config writes the summary into the export's config.json for the page's model entry.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

import { evaluationJson, MODEL_FORMAT, type ModelEvaluation, parseModelEvaluation } from '../formats/config';
import { interpolationBaseline, maskedMetrics, meanColorFill } from '../mae/metrics';
import { prepareImage } from '../mae/pipeline';
import { reconstruct } from '../runtime/reconstruct';
import { IMAGE_EXTENSIONS, readImage } from './images';
import { loadNodeModel } from './model';

/** Rounds after which diffusion has settled on these images: always reported as a hard baseline. */
export const CONVERGED_DIFFUSION_ROUNDS = 1000;

export interface EvalOptions {
  model: string;
  data: string;
  maskRatio: number;
  seeds: number[];
  json: boolean;
  /** Extra `diffusion:N` baselines, in rounds; converged diffusion is reported whatever this holds. */
  diffusionRounds?: number[];
}

export interface ImageScore {
  image: string;
  model_psnr: number;
  mean_fill_psnr: number;
  interpolation_psnr: number;
  /** `diffusion:N` -> PSNR of the inverse-distance fill followed by N rounds of diffusion. */
  diffusion_psnr: Record<string, number>;
}

export interface EvalSummary extends Omit<ImageScore, 'image'> {
  /** Baseline (`mean_fill`, `interpolation`, `diffusion:N`) -> images whose model PSNR is higher. */
  model_wins: Record<string, number>;
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

export const diffusionName = (rounds: number) => `diffusion:${rounds}`;

/** The diffusion baselines to run: converged diffusion and the requested ones, ascending, once each. */
export function diffusionBaselines(requested: readonly number[] = []): number[] {
  return [...new Set([CONVERGED_DIFFUSION_ROUNDS, ...requested])].sort((a, b) => a - b);
}

/** Means over images, and per baseline the number of images on which the model scores higher. */
export function summarize(images: readonly ImageScore[]): EvalSummary {
  const names = Object.keys(images[0]?.diffusion_psnr ?? {});
  const baselines: Record<string, (s: ImageScore) => number> = {
    mean_fill: (s) => s.mean_fill_psnr,
    interpolation: (s) => s.interpolation_psnr,
    ...Object.fromEntries(names.map((name) => [name, (s: ImageScore) => s.diffusion_psnr[name]!])),
  };
  return {
    model_psnr: mean(images.map((s) => s.model_psnr)),
    mean_fill_psnr: mean(images.map((s) => s.mean_fill_psnr)),
    interpolation_psnr: mean(images.map((s) => s.interpolation_psnr)),
    diffusion_psnr: Object.fromEntries(names.map((name) => [name, mean(images.map(baselines[name]!))])),
    model_wins: Object.fromEntries(
      Object.entries(baselines).map(([name, psnr]) => [
        name,
        images.filter((s) => s.model_psnr > psnr(s)).length,
      ]),
    ),
  };
}

export async function evaluate(
  options: EvalOptions,
): Promise<{ images: ImageScore[]; summary: EvalSummary }> {
  const model = await loadNodeModel(options.model);
  const { imageSize, patchSize } = model.config;
  const rounds = diffusionBaselines(options.diffusionRounds);
  const files = (await readdir(options.data))
    .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
    .sort();
  if (files.length === 0) throw new Error(`${options.data}: no .png/.jpg images`);
  const images: ImageScore[] = [];
  for (const file of files) {
    const input = prepareImage(await readImage(join(options.data, file)), model.config);
    const scores = {
      model: [] as number[],
      meanFill: [] as number[],
      interpolation: [] as number[],
      diffusion: rounds.map(() => [] as number[]),
    };
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
      rounds.forEach((n, k) =>
        scores.diffusion[k]!.push(interpolationBaseline(truth, run.mask, imageSize, patchSize, n).psnr),
      );
    }
    const score: ImageScore = {
      image: basename(file),
      model_psnr: mean(scores.model),
      mean_fill_psnr: mean(scores.meanFill),
      interpolation_psnr: mean(scores.interpolation),
      diffusion_psnr: Object.fromEntries(
        rounds.map((n, k) => [diffusionName(n), mean(scores.diffusion[k]!)]),
      ),
    };
    images.push(score);
    if (!options.json || process.stderr.isTTY) {
      const diffusion = Object.entries(score.diffusion_psnr)
        .map(([name, value]) => `  ${name} ${value.toFixed(2)}`)
        .join('');
      const line = `${score.image.padEnd(48)} model ${score.model_psnr.toFixed(2)}  interp ${score.interpolation_psnr.toFixed(2)}  mean ${score.mean_fill_psnr.toFixed(2)} dB${diffusion}`;
      (options.json ? console.error : console.log)(line);
    }
  }
  await model.release();
  return { images, summary: summarize(images) };
}

/** What the page's model entry shows of an eval: `data` names the photos, in words. */
export function modelEvaluation(
  result: { images: ImageScore[]; summary: EvalSummary },
  options: Pick<EvalOptions, 'maskRatio' | 'seeds'>,
  data: string,
): ModelEvaluation {
  const converged = diffusionName(CONVERGED_DIFFUSION_ROUNDS);
  const { summary } = result;
  return {
    data,
    images: result.images.length,
    maskRatio: options.maskRatio,
    seeds: [...options.seeds],
    modelPsnr: summary.model_psnr,
    interpolationPsnr: summary.interpolation_psnr,
    convergedDiffusionPsnr: summary.diffusion_psnr[converged]!,
    winsOverInterpolation: summary.model_wins.interpolation!,
    winsOverConvergedDiffusion: summary.model_wins[converged]!,
  };
}

/**
 * Writes `evaluation` into the export folder's config.json (its other fields untouched), checked
 * first by the parser that will read it. Only MAE Lens exports carry one.
 */
export async function recordInConfig(modelFolder: string, evaluation: ModelEvaluation): Promise<void> {
  const path = join(modelFolder, 'config.json');
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  if (json.format !== MODEL_FORMAT) {
    throw new Error(`${path}: --record-in-config needs a MAE Lens export (format "${MODEL_FORMAT}")`);
  }
  json.evaluation = evaluationJson(evaluation);
  parseModelEvaluation(json.evaluation, true);
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`);
}
