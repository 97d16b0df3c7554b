/**
 * Which models a bench run measures, and the build outputs it makes of them once (random-weight
 * exports, quantised copies; models/ is git-ignored).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { freemem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { locateModel } from '../cli/model';
import {
  type ModelConfig,
  ModelConfigError,
  type ModelFile,
  parseModelConfig,
  type QuantizationMode,
} from '../formats/config';
import { errorText } from '../shared/errorText';
import { PYTHON } from './native';
import { BUNDLED_ID, type ModelReport } from './report';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLED = join(REPO_ROOT, 'models', BUNDLED_ID);
/** --quick without the bundled model: the upstream tiny fixture (`npm run fixtures`). */
const QUICK_STAND_IN = join(REPO_ROOT, 'tests/fixtures/onnx/official');
/** random-large needs this much free memory to export and run. */
const LARGE_MIN_FREE_BYTES = 8 * 2 ** 30;

export const log = (line: string) => process.stderr.write(`${line}\n`);

export interface BenchModel {
  id: string;
  /** The folder served to the browser; an export's, or the one that holds `weights`. */
  folder: string;
  /** A checkpoint file in `folder` (Hugging Face or Meta weights), built into graphs by the page's loader. */
  weights?: string;
  role: ModelReport['role'];
  /** Quantised copies: the fp32 model they were made from. */
  source?: BenchModel;
  quantization?: QuantizationMode;
}

/** The quantisation the full run adds for the bundled model and for base: the fastest (PERFORMANCE.md). */
const QUANTIZATION: QuantizationMode = 'int8';

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    // The child's output is progress: stderr, so that stdout stays the JSON under --json.
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')}: exit ${code}`)),
    );
  });
}

/** A valid config.json of a random `preset` export with lean graphs, and every file it lists. */
async function isCurrentRandomExport(folder: string, preset: string): Promise<boolean> {
  const configPath = join(folder, 'config.json');
  if (!existsSync(configPath)) return false;
  const json = JSON.parse(await readFile(configPath, 'utf8')) as { source?: { preset?: string } };
  try {
    const { files, source } = parseModelConfig(json);
    const listed = [files.encoder, files.decoder, files.encoderLean, files.decoderLean];
    if (
      source.format === 'random' &&
      json.source?.preset === preset &&
      listed.every((file) => file && existsSync(join(folder, file.path)))
    ) {
      return true;
    }
  } catch (error) {
    if (!(error instanceof ModelConfigError)) throw error;
  }
  log(`${folder} is not a current export (older exporter?): exporting it again`);
  return false;
}

/** models/random-PRESET, exported with scripts/export_onnx.py unless a current export is there. */
async function randomExport(preset: string): Promise<BenchModel> {
  const id = `random-${preset}`;
  const folder = join(REPO_ROOT, 'models', id);
  if (await isCurrentRandomExport(folder, preset)) return { id, folder, role: 'random' };
  log(`exporting random-weight ${preset} to ${folder} (once: models/ is git-ignored)`);
  await run(PYTHON, ['-m', 'scripts.export_onnx', '--random', preset, '--out', folder]);
  return { id, folder, role: 'random' };
}

/**
 * models/ID-MODE: `source` quantised by scripts/quantize_onnx.py, unless a copy in that mode that is
 * newer than the source's config.json and than the script is there.
 */
async function quantizedCopy(source: BenchModel, mode: QuantizationMode): Promise<BenchModel> {
  const id = `${source.id}-${mode}`;
  const folder = join(REPO_ROOT, 'models', id);
  const model: BenchModel = { id, folder, role: 'quantized', source, quantization: mode };
  const configPath = join(folder, 'config.json');
  if (existsSync(configPath)) {
    try {
      const { files, quantization } = parseModelConfig(JSON.parse(await readFile(configPath, 'utf8')));
      const listed = [files.encoder, files.decoder, files.encoderLean, files.decoderLean];
      // A change of format (issue 11 changed int8's) makes older copies stale too.
      const inputs = [join(source.folder, 'config.json'), join(REPO_ROOT, 'scripts/quantize_onnx.py')];
      const inputTimes = await Promise.all(inputs.map(async (path) => (await stat(path)).mtimeMs));
      const newer = (await stat(configPath)).mtimeMs >= Math.max(...inputTimes);
      if (quantization?.mode === mode && newer && listed.every((f) => f && existsSync(join(folder, f.path))))
        return model;
    } catch (error) {
      if (!(error instanceof ModelConfigError)) throw error;
    }
  }
  log(`quantising ${source.id} (${mode}) into ${folder} (once: models/ is git-ignored)`);
  await run(PYTHON, ['-m', 'scripts.quantize_onnx', source.folder, folder, '--mode', mode]);
  return model;
}

/** What `--model PATH` names, as the Node loader (readNodeModel) takes it. */
export function modelPath(model: BenchModel): string {
  return model.weights === undefined ? model.folder : join(model.folder, model.weights);
}

/** `--model PATH`, as `npm run reconstruct` takes it (locateModel says what PATH is). */
export async function givenModel(path: string): Promise<BenchModel> {
  const absolute = resolve(path);
  const location = await locateModel(absolute).catch((error: unknown) => {
    throw new Error(`--model ${errorText(error)}`);
  });
  const id =
    basename(absolute)
      .replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '-') || 'model';
  return {
    id,
    folder: location.folder,
    ...(location.kind !== 'export' && { weights: location.weights }),
    role: 'given',
  };
}

export async function pickModels(quick: boolean, large: boolean, skipped: string[]): Promise<BenchModel[]> {
  const bundled = existsSync(join(BUNDLED, 'config.json'));
  if (quick) {
    if (bundled) return [{ id: BUNDLED_ID, folder: BUNDLED, role: 'bundled' }];
    if (!existsSync(join(QUICK_STAND_IN, 'config.json'))) {
      throw new Error(`neither ${BUNDLED} nor ${QUICK_STAND_IN} exists: run \`npm run fixtures\``);
    }
    skipped.push('models/mae-small is absent: --quick measured the upstream tiny fixture model instead');
    return [{ id: 'fixture-tiny', folder: QUICK_STAND_IN, role: 'bundled' }];
  }
  const models: BenchModel[] = [];
  if (bundled) {
    const model: BenchModel = { id: BUNDLED_ID, folder: BUNDLED, role: 'bundled' };
    models.push(model, await quantizedCopy(model, QUANTIZATION));
  } else {
    skipped.push('bundled model: models/mae-small is absent');
  }
  const base = await randomExport('base');
  models.push(base, await quantizedCopy(base, QUANTIZATION));
  if (large) {
    if (freemem() < LARGE_MIN_FREE_BYTES) {
      skipped.push(`random-large: ${(freemem() / 2 ** 30).toFixed(1)} GiB free, it needs 8 GiB`);
    } else {
      models.push(await randomExport('large'));
    }
  } else {
    skipped.push('random-large: not asked for (--large)');
  }
  return models;
}

export async function graphBytes(folder: string, config: ModelConfig): Promise<number> {
  const size = async (file: ModelFile | undefined): Promise<number> =>
    file ? (await stat(join(folder, file.path))).size + (await size(file.externalData)) : 0;
  return (await size(config.files.encoder)) + (await size(config.files.decoder));
}
