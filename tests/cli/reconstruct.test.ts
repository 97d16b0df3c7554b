/**
 * `npm run reconstruct` against the upstream fixture: with the fixture's noise file and the
 * exported fixture model it must write the tensors upstream computed (issue 5's acceptance check).
 * The model comes from `npm run fixtures`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { UsageError } from '../../src/cli/args';
import { readImage } from '../../src/cli/images';
import { reconstructImages, type ReconstructOptions, runReconstruct } from '../../src/cli/reconstruct';
import { panelLayout } from '../../src/formats/figure';
import { type NpyArray, parseNpy, writeNpy } from '../../src/formats/npy';
import { randomMasking } from '../../src/mae/masking';
import { maskedMetrics } from '../../src/mae/metrics';
import { predictionToPixels } from '../../src/mae/views';
import { asFloat32, asIndices, asUint8, loadReference, referenceDir } from '../helpers/fixture';
import { writePng } from '../helpers/png';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const modelDir = join(repoRoot, 'tests/fixtures/onnx/official');
const noiseFile = join(referenceDir, 'r75_noise.npy');

/** Everything written to it, for checking progress and error reports; isTTY as given. */
class CapturedStream extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

function maxAbsDiff(actual: NpyArray, expected: NpyArray): number {
  expect(actual.dtype).toBe(expected.dtype);
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.data as Float32Array;
  const b = expected.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Checks every `--save-tensors` output of `stem` against upstream's r75 case. */
function expectUpstreamR75(stem: string) {
  const saved = (name: string) => parseNpy(readFileSync(`${stem}.${name}.npy`));
  expect(maxAbsDiff(saved('pred'), loadReference('r75_pred.npy'))).toBeLessThanOrEqual(1e-4);
  expect(maxAbsDiff(saved('latent'), loadReference('r75_latent.npy'))).toBeLessThanOrEqual(1e-4);
  const mask = saved('mask');
  expect(mask.shape).toEqual([1, 196]);
  expect(asFloat32(mask)).toEqual(asFloat32(loadReference('r75_mask.npy')));
  const idsRestore = saved('ids_restore');
  expect(idsRestore.shape).toEqual([1, 196]);
  expect(asIndices(idsRestore)).toEqual(asIndices(loadReference('r75_ids_restore.npy')));
}

/** `npx tsx src/cli/main.ts reconstruct ARGS` in a child process, as a user would run it. */
function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = ['tsx', 'src/cli/main.ts', 'reconstruct', ...args];
  return new Promise((resolve) => {
    execFile('npx', command, { cwd: repoRoot }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

let dir: string;
let goodImage: string;

beforeAll(async () => {
  expect(existsSync(join(modelDir, 'config.json')), `${modelDir} missing: run \`npm run fixtures\``).toBe(
    true,
  );
  dir = await mkdtemp(join(tmpdir(), 'mae-reconstruct-'));
  // The fixture image is already 224x224, so reconstruct must use it as is.
  const rgb = asUint8(loadReference('image_uint8.npy')); // [224, 224, 3]
  const pixels = rgb.length / 3;
  const rgba = new Uint8Array(pixels * 4); // [224, 224, 4]
  for (let i = 0; i < pixels; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  goodImage = join(dir, 'castle.png');
  await writePng(goodImage, 224, 224, rgba);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const options = (overrides: Partial<ReconstructOptions>): ReconstructOptions => ({
  model: modelDir,
  images: [goodImage],
  maskRatio: 0.75,
  seed: 0,
  out: join(dir, 'out'),
  saveTensors: false,
  log: new CapturedStream(false),
  ...overrides,
});

describe('reconstruct', () => {
  it('reproduces upstream r75 from its noise file, with figure and metrics', async () => {
    const out = join(dir, 'r75');
    const log = new CapturedStream(false);
    const result = await reconstructImages(options({ noiseFile, out, saveTensors: true, log }));
    expect(result.failures).toEqual([]);
    expectUpstreamR75(join(out, 'castle'));

    // The figure: all four 224x224 views side by side, so wider than 4 * 224.
    const figure = await readImage(join(out, 'castle.png'));
    expect(figure.width).toBeGreaterThan(4 * 224);
    expect(figure.height).toBeGreaterThan(224);

    // metrics.json: the masked-patch numbers are those of upstream's own pred.
    const expected = maskedMetrics(
      asUint8(loadReference('image_uint8.npy')),
      predictionToPixels(asFloat32(loadReference('r75_pred.npy')), {
        imageSize: 224,
        patchSize: 16,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
      }),
      asFloat32(loadReference('r75_mask.npy')),
      224,
      16,
    );
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.failures).toEqual([]);
    expect(metrics.images).toHaveLength(1);
    const row = metrics.images[0];
    expect(row).toMatchObject({
      file: goodImage,
      mask_ratio: 0.75,
      seed: null,
      noise_file: noiseFile,
      visible_patches: 49,
      num_patches: 196,
    });
    expect(row.masked_psnr_db).toBeCloseTo(expected.psnr, 3);
    expect(row.masked_mse).toBeCloseTo(expected.mse, 1);
    for (const timing of ['encoder_ms', 'decoder_ms', 'total_ms']) expect(row[timing]).toBeGreaterThan(0);
    expect(row.total_ms).toBeGreaterThanOrEqual(row.encoder_ms + row.decoder_ms);

    // metrics.csv: the same row under a header naming every field.
    const [header, line, ...rest] = (await readFile(join(out, 'metrics.csv'), 'utf8')).trimEnd().split('\n');
    expect(rest).toEqual([]);
    expect(header!.split(',')).toEqual(Object.keys(row));
    const cells = line!.split(',');
    expect(cells[0]).toBe(goodImage);
    expect(cells[2]).toBe(''); // no seed
    expect(cells[3]).toBe(noiseFile);
    expect(Number(cells[7])).toBeCloseTo(expected.psnr, 3);

    // Not a terminal: plain progress lines.
    expect(log.text).toBe(log.text.replace(/\r/g, ''));
    expect(log.text).toMatch(/\[1\/1\] .*castle\.png: PSNR \d+\.\d\d dB/);
  });

  it('masks from the seed when no noise file is given, with a progress bar on a terminal', async () => {
    const out = join(dir, 'seeded');
    const log = new CapturedStream(true);
    await reconstructImages(options({ seed: 7, maskRatio: 0.5, out, saveTensors: true, log }));
    const mask = asFloat32(parseNpy(readFileSync(join(out, 'castle.mask.npy'))));
    expect(Array.from(mask)).toEqual(Array.from(randomMasking(196, 0.5, 7).mask));
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.images[0]).toMatchObject({ seed: 7, noise_file: null, visible_patches: 98 });
    expect(log.text).toContain('\r\x1b[K[');
    expect(log.text).toContain('] 1/1 ');
    expect(log.text).not.toContain('\n');
  });

  it('--sweep writes one figure per image, from one noise array, with a metrics row per ratio', async () => {
    const out = join(dir, 'sweep');
    const second = join(dir, 'castle-copy.png');
    await copyFile(goodImage, second);
    const ratios = [0.5, 0.75, 0.85, 0.95];
    const code = await runReconstruct([
      '--model',
      modelDir,
      '--sweep',
      ratios.join(','),
      '--seed',
      '3',
      '--out',
      out,
      goodImage,
      second,
    ]);
    expect(code).toBe(0);
    expect((await readdir(out)).filter((f) => f.endsWith('.png')).sort()).toEqual([
      'castle-copy.png',
      'castle.png',
    ]);
    // Four columns, each the masked view above the reconstruction + visible, laid out as the page does.
    const figure = await readImage(join(out, 'castle.png'));
    const layout = panelLayout(ratios.map(() => ({ width: 224, height: 2 * 224 })));
    expect([figure.width, figure.height]).toEqual([layout.width, layout.height]);

    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    const rows = metrics.images.filter((row: { file: string }) => row.file === goodImage);
    expect(rows.map((row: { mask_ratio: number }) => row.mask_ratio)).toEqual(ratios);
    expect(rows.map((row: { visible_patches: number }) => row.visible_patches)).toEqual([98, 49, 29, 9]);
    expect(metrics.images).toHaveLength(8);

    // The 75 % column is the plain seed-3 run at 75 %: the same mask, so the same PSNR.
    const single = await reconstructImages(options({ seed: 3, maskRatio: 0.75, out: join(dir, 'single') }));
    expect(rows[1].masked_psnr_db).toBeCloseTo(single.images[0]!.masked_psnr_db!, 6);
    expect(rows[0].masked_psnr_db).not.toBeCloseTo(rows[3].masked_psnr_db, 3);
  }, 60_000);

  it('rejects a noise file whose length is not N, and other bad usage, as usage errors', async () => {
    const shortNoise = join(dir, 'short.npy');
    await writeFile(shortNoise, writeNpy(new Float32Array(195), [1, 195]));
    const doubleNoise = join(dir, 'double.npy');
    await writeFile(doubleNoise, writeNpy(new Float64Array(196), [1, 196]));
    const run = (...args: string[]) =>
      runReconstruct(['--model', modelDir, '--out', join(dir, 'bad'), ...args]);

    await expect(run('--noise', shortNoise, goodImage)).rejects.toThrow(/195 values.*N = 196/);
    await expect(run('--noise', shortNoise, goodImage)).rejects.toBeInstanceOf(UsageError);
    await expect(run('--noise', doubleNoise, goodImage)).rejects.toThrow(/float64, expected float32/);
    await expect(run('--seed', '1', '--noise', noiseFile, goodImage)).rejects.toThrow(/not both/);
    await expect(run('--mask-ratio', '1.5', goodImage)).rejects.toThrow(/--mask-ratio/);
    await expect(run('--seed', '-1', goodImage)).rejects.toThrow(/--seed/);
    await expect(run()).rejects.toThrow(/no images/);
    await expect(run(goodImage, join(dir, 'castle.jpg'))).rejects.toThrow(/both write castle\.png/);
    await expect(runReconstruct(['--model', dir, goodImage])).rejects.toThrow(/no config\.json/);
    await expect(run('--bogus', goodImage)).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    await expect(run('--sweep', '0.5,abc', goodImage)).rejects.toThrow(/--sweep: mask ratio "abc"/);
    await expect(run('--sweep', '0.5', '--save-tensors', goodImage)).rejects.toBeInstanceOf(UsageError);
  });

  it('through the real CLI: skips bad files, names them, writes the good one and exits 1', async () => {
    const notAnImage = join(dir, 'notes.jpg');
    await writeFile(notAnImage, 'this is text, not a JPEG\n');
    const empty = join(dir, 'empty.png');
    await writeFile(empty, '');
    const out = join(dir, 'cli');
    const args = ['--model', modelDir, '--noise', noiseFile, '--out', out, '--save-tensors'];
    args.push(notAnImage, goodImage, empty);

    const { code, stdout, stderr } = await runCli(args);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`${notAnImage}: skipped, not a PNG or JPEG file`);
    expect(stderr).toContain(`${empty}: skipped, empty file`);
    expect(stdout).toContain('1 of 3 images written');
    expectUpstreamR75(join(out, 'castle'));
    expect(existsSync(join(out, 'notes.png')) || existsSync(join(out, 'empty.png'))).toBe(false);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.images.map((row: { file: string }) => row.file)).toEqual([goodImage]);
    expect(metrics.failures.map((f: { file: string }) => f.file)).toEqual([notAnImage, empty]);
  }, 120_000);

  it('through the real CLI: a usage error exits 2 with the usage text', async () => {
    const shortNoise = join(dir, 'short-cli.npy');
    await writeFile(shortNoise, writeNpy(new Float32Array(10), [10]));
    const { code, stderr } = await runCli(['--model', modelDir, '--noise', shortNoise, goodImage]);
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/error: --noise .*10 values, but the model has N = 196/);
    expect(stderr).toContain('usage: npm run reconstruct');
  }, 120_000);
});

// Issue 12: checkpoints from outside go through the TypeScript loader (no Python, no export).
describe.each([
  ['a Hugging Face folder (model.safetensors)', join(referenceDir, 'hf')],
  ['a Hugging Face pytorch_model.bin', join(referenceDir, 'hf', 'pytorch_model.bin')],
  ['a Meta .pth', join(referenceDir, 'official', 'checkpoint.pth')],
])('npm run reconstruct -- --model %s', (_, model) => {
  it('writes STEM.pred.npy (and latent, mask, ids_restore) matching upstream r75', async () => {
    const out = join(dir, basename(model));
    const args = ['--model', model, '--mask-ratio', '0.75', '--noise', noiseFile, '--save-tensors'];
    const { code, stderr } = await runCli([...args, '--out', out, goodImage]);
    expect(code, stderr).toBe(0);
    expectUpstreamR75(join(out, 'castle'));
  });
});
