/**
 * `npm run eval`'s baselines: converged diffusion is always reported, `--baseline diffusion:N`
 * adds any number of rounds, and wins are counted per image. Runs the fixture model from
 * `npm run fixtures` on two small generated photos.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseDiffusionBaseline, UsageError } from '../../src/cli/args';
import {
  CONVERGED_DIFFUSION_ROUNDS,
  diffusionBaselines,
  evaluate,
  type ImageScore,
  modelEvaluation,
  recordInConfig,
  summarize,
} from '../../src/cli/eval';
import { parseModelConfig } from '../../src/formats/config';
import { writePng } from '../helpers/png';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const modelDir = join(repoRoot, 'tests/fixtures/onnx/official');

describe('--baseline diffusion:N', () => {
  it('parses any whole number of rounds', () => {
    expect(parseDiffusionBaseline('diffusion:0')).toBe(0);
    expect(parseDiffusionBaseline('diffusion:200')).toBe(200);
    expect(parseDiffusionBaseline('diffusion:5000')).toBe(5000);
  });

  it.each(['diffusion', 'diffusion:', 'diffusion:-1', 'diffusion:1.5', 'blur:10', 'diffusion:1e3'])(
    'refuses %j as a usage error',
    (text) => expect(() => parseDiffusionBaseline(text)).toThrow(UsageError),
  );

  it('always includes converged diffusion, once, in ascending order', () => {
    expect(diffusionBaselines()).toEqual([CONVERGED_DIFFUSION_ROUNDS]);
    expect(diffusionBaselines([5000, 50, CONVERGED_DIFFUSION_ROUNDS, 50])).toEqual([50, 1000, 5000]);
  });
});

describe('summarize', () => {
  const score = (image: string, model: number, interpolation: number, converged: number): ImageScore => ({
    image,
    model_psnr: model,
    mean_fill_psnr: 10,
    interpolation_psnr: interpolation,
    diffusion_psnr: { 'diffusion:1000': converged },
  });

  it('averages each method and counts the images where the model scores strictly higher', () => {
    const summary = summarize([score('a', 20, 18, 21), score('b', 16, 16, 15), score('c', 14, 12, 13)]);
    expect(summary.model_psnr).toBeCloseTo(50 / 3, 12);
    expect(summary.interpolation_psnr).toBeCloseTo(46 / 3, 12);
    expect(summary.diffusion_psnr).toEqual({ 'diffusion:1000': 49 / 3 });
    expect(summary.model_wins).toEqual({ mean_fill: 3, interpolation: 2, 'diffusion:1000': 2 });
  });
});

describe('evaluate', () => {
  let dataDir: string;

  beforeAll(async () => {
    expect(existsSync(join(modelDir, 'config.json')), `${modelDir} missing: run \`npm run fixtures\``).toBe(
      true,
    );
    dataDir = await mkdtemp(join(tmpdir(), 'mae-eval-'));
    // Two 240x240 pictures: a smooth ramp and a checkerboard of 12-px squares, RGBA.
    const size = 240;
    const ramp = new Uint8Array(size * size * 4);
    const checks = new Uint8Array(size * size * 4);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const at = (y * size + x) * 4;
        ramp.set([x, y, 255 - x, 255], at);
        const dark = (Math.floor(x / 12) + Math.floor(y / 12)) % 2 === 0;
        checks.set(dark ? [30, 40, 50, 255] : [220, 200, 180, 255], at);
      }
    }
    await writePng(join(dataDir, 'a-ramp.png'), size, size, ramp);
    await writePng(join(dataDir, 'b-checks.png'), size, size, checks);
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reports converged diffusion and the requested rounds; diffusion:200 is the interpolation', async () => {
    const { images, summary } = await evaluate({
      model: modelDir,
      data: dataDir,
      maskRatio: 0.75,
      seeds: [0, 1],
      json: true,
      diffusionRounds: [200, 0],
    });
    expect(images.map((s) => s.image)).toEqual(['a-ramp.png', 'b-checks.png']);
    for (const score of images) {
      expect(Object.keys(score.diffusion_psnr)).toEqual(['diffusion:0', 'diffusion:200', 'diffusion:1000']);
      expect(score.diffusion_psnr['diffusion:200']).toBe(score.interpolation_psnr);
      for (const value of [score.model_psnr, ...Object.values(score.diffusion_psnr)]) {
        expect(Number.isFinite(value)).toBe(true);
      }
    }
    const [ramp] = images;
    // On a smooth ramp, diffusing longer moves the fill towards the harmonic (linear) truth.
    expect(ramp!.diffusion_psnr['diffusion:1000']!).toBeGreaterThan(ramp!.diffusion_psnr['diffusion:0']!);
    expect(Object.keys(summary.model_wins)).toEqual([
      'mean_fill',
      'interpolation',
      'diffusion:0',
      'diffusion:200',
      'diffusion:1000',
    ]);
    expect(summary).toEqual(summarize(images));
  }, 60_000);
});

describe('--record-in-config', () => {
  it("writes the summary into the export's config.json, which the app's parser reads back", async () => {
    const folder = await mkdtemp(join(tmpdir(), 'mae-record-'));
    const dataDir = await mkdtemp(join(tmpdir(), 'mae-record-data-'));
    try {
      await cp(modelDir, folder, { recursive: true });
      const size = 224;
      const noise = new Uint8Array(size * size * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7919) % 251));
      await writePng(join(dataDir, 'noise.png'), size, size, noise);
      const options = { model: folder, data: dataDir, maskRatio: 0.5, seeds: [3], json: true };
      const result = await evaluate(options);
      const before = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
      await recordInConfig(folder, modelEvaluation(result, options, 'one noise picture'));
      const after = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
      const { evaluation, ...rest } = after;
      expect(rest).toEqual(before);
      expect(evaluation.model_psnr).toBe(result.summary.model_psnr);
      expect(parseModelConfig(after).evaluation).toEqual({
        data: 'one noise picture',
        images: 1,
        maskRatio: 0.5,
        seeds: [3],
        modelPsnr: result.images[0]!.model_psnr,
        interpolationPsnr: result.images[0]!.interpolation_psnr,
        convergedDiffusionPsnr: result.images[0]!.diffusion_psnr['diffusion:1000'],
        winsOverInterpolation: result.summary.model_wins.interpolation,
        winsOverConvergedDiffusion: result.summary.model_wins['diffusion:1000'],
      });

      await writeFile(join(folder, 'config.json'), JSON.stringify({ model_type: 'vit_mae' }));
      await expect(
        recordInConfig(folder, modelEvaluation(result, options, 'one noise picture')),
      ).rejects.toThrow(/needs a MAE Lens export/);
    } finally {
      await rm(folder, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
