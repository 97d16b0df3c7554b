/**
 * `npm run reconstruct`: the app's reconstruction over a batch of image files, with a figure per
 * image, the numbers for all of them, and optionally the raw tensors to compare with upstream.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { patchDim } from '../mae/config';
import { composeFigure } from '../mae/figure';
import type { MaskSpec } from '../mae/maskModes';
import { parseNpy, writeNpy } from '../mae/npy';
import { prepareImage } from '../mae/pipeline';
import { reconstruct } from '../runtime/reconstruct';
import { errorText } from '../shared/errorText';
import { DEFAULT_MODEL, parseRatio, parseSeed, UsageError } from './args';
import { IMAGE_EXTENSIONS, readImage, writePng } from './images';
import { loadNodeModel, type NodeModel } from './model';

export const DEFAULT_MASK_RATIO = 0.75;
export const DEFAULT_SEED = 0;
export const DEFAULT_OUT = 'out';

export const RECONSTRUCT_USAGE = `usage: npm run reconstruct -- [options] IMAGE|DIR...

Reconstructs each image (PNG or JPEG; a folder stands for its .png/.jpg/.jpeg files) and writes
OUT/STEM.png (original, masked, reconstruction, reconstruction + visible, with a caption) and,
for the batch, OUT/metrics.json and OUT/metrics.csv. Every image gets the same mask.

options:
  --model DIR         model folder with config.json, encoder.onnx, decoder.onnx (default ${DEFAULT_MODEL})
  --mask-ratio R      fraction of patches removed, in [0, 1] (default ${DEFAULT_MASK_RATIO})
  --seed S            mask seed, an integer in [0, 2^32) (default ${DEFAULT_SEED})
  --noise FILE.npy    float32 [1, N] or [N] noise instead of a seed: argsort(noise) ascending picks
                      the kept patches, exactly as upstream's noise argument does
  --out DIR           output folder (default ${DEFAULT_OUT}/)
  --save-tensors      also write STEM.pred.npy [1,N,P*P*3] float32, STEM.mask.npy [1,N] float32
                      (1 = removed), STEM.ids_restore.npy [1,N] int64, STEM.latent.npy [1,K+1,D] float32
  -h, --help          show this text

exit status: 0 all images written, 1 some image failed (reported, the others still written),
2 usage error.`;

export interface ReconstructOptions {
  model: string;
  /** Image files; a file that cannot be read or decoded is reported and skipped. */
  images: string[];
  maskRatio: number;
  /** The mask comes from `noiseFile` when given, otherwise from `seed`. */
  seed: number;
  noiseFile?: string;
  out: string;
  saveTensors: boolean;
  /** Progress and per-image errors (default process.stderr); a TTY gets a progress bar. */
  log?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** One row of metrics.json / metrics.csv. */
export interface ImageMetrics {
  file: string;
  mask_ratio: number;
  /** null when the mask came from a noise file. */
  seed: number | null;
  noise_file: string | null;
  visible_patches: number;
  num_patches: number;
  /** Over the removed patches, in [0, 255] pixel space; null when nothing is removed. */
  masked_mse: number | null;
  /** null when nothing is removed, or when the error is 0 (infinite PSNR: JSON has no Infinity). */
  masked_psnr_db: number | null;
  encoder_ms: number;
  decoder_ms: number;
  /** Reading the file to writing its outputs. */
  total_ms: number;
}

export interface ImageFailure {
  file: string;
  error: string;
}

export interface ReconstructResult {
  images: ImageMetrics[];
  failures: ImageFailure[];
}

const CSV_COLUMNS: (keyof ImageMetrics)[] = [
  'file',
  'mask_ratio',
  'seed',
  'noise_file',
  'visible_patches',
  'num_patches',
  'masked_mse',
  'masked_psnr_db',
  'encoder_ms',
  'decoder_ms',
  'total_ms',
];

const stemOf = (file: string) => basename(file, extname(file));

const finiteOrNull = (value: number) => (Number.isFinite(value) ? value : null);

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Why an image failed, without its path: the report puts the path in front once. */
function errorMessage(file: string, error: unknown): string {
  if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') return 'no such file';
  const message = errorText(error);
  return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

/** Files named on the command line, with each folder replaced by its images (sorted). */
export async function expandInputs(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const isFolder = await stat(path).then(
      (s) => s.isDirectory(),
      // A missing file is reported with the per-image errors, not here.
      () => false,
    );
    if (!isFolder) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path)).filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()));
    files.push(...names.sort().map((name) => join(path, name)));
  }
  return files;
}

/** `[N]` noise from a `[1, N]` or `[N]` float32 .npy, checked against the model's N. */
async function readNoise(file: string, numPatches: number): Promise<Float32Array> {
  let array;
  try {
    array = parseNpy(await readFile(file));
  } catch (error) {
    throw new UsageError(`--noise ${file}: ${errorText(error)}`);
  }
  const { shape, data, dtype } = array;
  const rowShape = shape.length === 1 || (shape.length === 2 && shape[0] === 1);
  if (!rowShape) {
    throw new UsageError(`--noise ${file}: shape [${shape.join(', ')}] is not [1, N] or [N]`);
  }
  if (!(data instanceof Float32Array)) {
    // Ties and order can differ between float64 and float32 noise; upstream's noise is float32.
    throw new UsageError(
      `--noise ${file}: dtype ${dtype}, expected float32 (save it with .astype(np.float32))`,
    );
  }
  if (data.length !== numPatches) {
    throw new UsageError(
      `--noise ${file}: ${data.length} values, but the model has N = ${numPatches} patches (expected shape [1, ${numPatches}] or [${numPatches}])`,
    );
  }
  return data;
}

async function loadModel(folder: string): Promise<NodeModel> {
  if (!existsSync(join(folder, 'config.json'))) {
    throw new UsageError(
      `--model ${folder}: no config.json (a model folder holds config.json, encoder.onnx and decoder.onnx; see docs/model-format.md)`,
    );
  }
  return loadNodeModel(folder);
}

function maskPercent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(1))}%`;
}

function caption(
  modelName: string,
  options: ReconstructOptions,
  visible: number,
  numPatches: number,
  psnr: number,
): string {
  const maskSource = options.noiseFile ? `noise ${basename(options.noiseFile)}` : `seed ${options.seed}`;
  const quality = Number.isNaN(psnr) ? 'no patch removed' : `masked-patch PSNR ${psnr.toFixed(2)} dB`;
  return [
    modelName,
    `mask ${maskPercent(options.maskRatio)}`,
    maskSource,
    `${visible} of ${numPatches} patches visible`,
    quality,
  ].join(' \u00b7 ');
}

/** The four views and the numbers for one image; writes STEM.png and, if asked, the tensors. */
async function reconstructOne(
  file: string,
  model: NodeModel,
  mask: MaskSpec,
  options: ReconstructOptions,
): Promise<ImageMetrics> {
  const started = performance.now();
  const { config } = model;
  const { imageSize, numPatches } = config;
  const input = prepareImage(await readImage(file), config);
  const run = await reconstruct(model.runner, config, input, { mask, tensors: options.saveTensors });
  const { views, visiblePatches } = run;
  const figure = composeFigure({
    views: [
      { label: 'Original', rgba: views.original },
      { label: 'Masked', rgba: views.masked },
      { label: 'Reconstruction', rgba: views.reconstruction },
      { label: 'Reconstruction + visible', rgba: views.reconstructionPlusVisible },
    ].map((view) => ({ ...view, width: imageSize, height: imageSize })),
    caption: caption(basename(options.model), options, visiblePatches, numPatches, run.maskedPsnr),
  });

  const stem = join(options.out, stemOf(file));
  await writePng(`${stem}.png`, figure.width, figure.height, figure.rgba);
  if (run.tensors) {
    const { pred, latent, masking } = run.tensors;
    const tensors: [string, Parameters<typeof writeNpy>[0], number[]][] = [
      ['pred', pred, [1, numPatches, patchDim(config)]],
      ['mask', Float32Array.from(masking.mask), [1, numPatches]],
      ['ids_restore', BigInt64Array.from(masking.idsRestore, (id) => BigInt(id)), [1, numPatches]],
      ['latent', latent, [1, visiblePatches + 1, config.encoder.embedDim]],
    ];
    for (const [name, data, shape] of tensors) await writeFile(`${stem}.${name}.npy`, writeNpy(data, shape));
  }
  return {
    file,
    mask_ratio: options.maskRatio,
    seed: options.noiseFile ? null : options.seed,
    noise_file: options.noiseFile ?? null,
    visible_patches: visiblePatches,
    num_patches: numPatches,
    masked_mse: finiteOrNull(run.maskedMse),
    masked_psnr_db: finiteOrNull(run.maskedPsnr),
    encoder_ms: round(run.encoderMs, 3),
    decoder_ms: round(run.decoderMs, 3),
    total_ms: round(performance.now() - started, 3),
  };
}

/** One status line per image, or a single redrawn bar when a person is watching a terminal. */
class Progress {
  private done = 0;
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly total: number,
  ) {}

  private bar(file: string): string {
    const width = 24;
    const filled = Math.round((width * this.done) / this.total);
    return `\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total} ${file}`;
  }

  succeeded(row: ImageMetrics): void {
    this.done++;
    const psnr =
      row.masked_mse === null ? 'no patch removed' : `PSNR ${row.masked_psnr_db?.toFixed(2) ?? 'inf'} dB`;
    if (this.stream.isTTY) this.stream.write(this.bar(row.file));
    else
      this.stream.write(`[${this.done}/${this.total}] ${row.file}: ${psnr}, ${row.total_ms.toFixed(0)} ms\n`);
  }

  failed(failure: ImageFailure): void {
    this.done++;
    const line = `[${this.done}/${this.total}] ${failure.file}: skipped, ${failure.error}\n`;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[K${line}${this.bar(failure.file)}`);
    else this.stream.write(line);
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
  }
}

function toCsv(rows: ImageMetrics[]): string {
  const cell = (value: string | number | null) => {
    const text = value === null ? '' : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = rows.map((row) => CSV_COLUMNS.map((column) => cell(row[column])).join(','));
  return `${[CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}

/** Runs the batch. Throws UsageError for bad options; per-image problems land in `failures`. */
export async function reconstructImages(options: ReconstructOptions): Promise<ReconstructResult> {
  if (options.images.length === 0) throw new UsageError('no images given');
  const byStem = new Map<string, string>();
  for (const file of options.images) {
    const other = byStem.get(stemOf(file));
    if (other !== undefined) {
      throw new UsageError(`${other} and ${file} would both write ${stemOf(file)}.png; rename one`);
    }
    byStem.set(stemOf(file), file);
  }

  const model = await loadModel(options.model);
  try {
    const { numPatches } = model.config;
    const mask: MaskSpec = options.noiseFile
      ? { mode: 'noise', noise: await readNoise(options.noiseFile, numPatches), ratio: options.maskRatio }
      : { mode: 'random', ratio: options.maskRatio, seed: options.seed };
    await mkdir(options.out, { recursive: true });

    const progress = new Progress(options.log ?? process.stderr, options.images.length);
    const result: ReconstructResult = { images: [], failures: [] };
    for (const file of options.images) {
      try {
        const row = await reconstructOne(file, model, mask, options);
        result.images.push(row);
        progress.succeeded(row);
      } catch (error) {
        const failure = { file, error: errorMessage(file, error) };
        result.failures.push(failure);
        progress.failed(failure);
      }
    }
    progress.finish();

    const summary = {
      model: options.model,
      model_name: model.config.name,
      image_size: model.config.imageSize,
      patch_size: model.config.patchSize,
      ...result,
    };
    await writeFile(join(options.out, 'metrics.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await writeFile(join(options.out, 'metrics.csv'), toCsv(result.images));
    return result;
  } finally {
    await model.release();
  }
}

/** The `reconstruct` subcommand: parses `args`, runs the batch, returns the exit status. */
export async function runReconstruct(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string', default: DEFAULT_MODEL },
      'mask-ratio': { type: 'string', default: String(DEFAULT_MASK_RATIO) },
      seed: { type: 'string' },
      noise: { type: 'string' },
      out: { type: 'string', default: DEFAULT_OUT },
      'save-tensors': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(RECONSTRUCT_USAGE);
    return 0;
  }
  if (values.seed !== undefined && values.noise !== undefined) {
    throw new UsageError('give --seed or --noise, not both');
  }
  const images = await expandInputs(positionals);
  if (images.length === 0) {
    throw new UsageError(
      positionals.length === 0 ? 'no images given' : 'no .png/.jpg images in the folders given',
    );
  }
  const result = await reconstructImages({
    model: values.model,
    images,
    maskRatio: parseRatio(values['mask-ratio']),
    seed: values.seed === undefined ? DEFAULT_SEED : parseSeed(values.seed),
    ...(values.noise === undefined ? {} : { noiseFile: values.noise }),
    out: values.out,
    saveTensors: values['save-tensors'],
  });
  const written = `${result.images.length} of ${images.length} images written to ${values.out}/ (metrics.json, metrics.csv)`;
  console.log(
    result.failures.length > 0
      ? `${written}; failed: ${result.failures.map((f) => f.file).join(', ')}`
      : written,
  );
  return result.failures.length > 0 ? 1 : 0;
}
