/**
 * `npm run bench`: one run on this machine that times a reconstruction in every runtime a user
 * could pick (browser WASM / WebGPU, onnxruntime-node, PyTorch eager), at the bundled model's size
 * and at base size, and writes PERFORMANCE.md and performance.json from that run alone.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { reconstructionFlops } from '../../bench/flops';
import { percentile } from '../../bench/stats';
import {
  INPUT_HEIGHT,
  INPUT_WIDTH,
  summarize,
  syntheticPhoto,
  timeReconstructions,
} from '../../bench/workload';
import {
  type ModelConfig,
  ModelConfigError,
  type ModelFile,
  parseModelConfig,
  type QuantizationMode,
} from '../../mae/config';
import { lenKeep } from '../../mae/masking';
import { errorText } from '../../shared/errorText';
import { VIEWS_PAINTED_MARK } from '../../shared/marks';
import { CHROMIUM } from '../chromium';
import { evaluate } from '../eval';
import { readNodeModel } from '../model';
import { BenchBrowser } from './browser';
import {
  type LoadedModel,
  PYTHON,
  type ReferenceRun,
  referenceRun,
  runTorch,
  withNodeRunner,
} from './native';
import {
  type BenchResult,
  BUNDLED_ID,
  computeRatios,
  type MachineInfo,
  type ModelReport,
  renderMarkdown,
  RESULT_FORMAT,
  type RuntimeRun,
  type SliderReport,
} from './report';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUNDLED = join(REPO_ROOT, 'models', BUNDLED_ID);
/** --quick without the bundled model: the upstream tiny fixture (`npm run fixtures`). */
const QUICK_STAND_IN = join(REPO_ROOT, 'tests/fixtures/onnx/official');
const BENCH_DIST = join(REPO_ROOT, 'out/bench-dist');
const MASK_RATIO = 0.75;
/** The instruction sets that decide which integer GEMM kernel onnxruntime runs int8 models on. */
const CPU_FEATURES = ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni'];
/** A large export holds ~1.3 GB of weights, several times over while exporting and loading. */
const LARGE_MIN_FREE_BYTES = 8 * 2 ** 30;

interface Settings {
  warmup: number;
  iterations: number;
  sliderMoves: number;
}
const FULL: Settings = { warmup: 3, iterations: 11, sliderMoves: 30 };
const QUICK: Settings = { warmup: 1, iterations: 5, sliderMoves: 10 };
/** SwiftShader runs the bundled model in seconds per reconstruction: the fewest runs the issue allows. */
const SOFTWARE_WEBGPU: Pick<Settings, 'warmup' | 'iterations'> = { warmup: 1, iterations: 10 };

export const BENCH_USAGE = `usage: npm run bench -- [--quick] [--large] [--json] [--out DIR]

Times one end-to-end reconstruction at ${MASK_RATIO * 100} % masking of the bundled model (models/mae-small)
and of a random-weight base-size export (models/random-base, exported on first use), and of
int8 copies of both (models/ID-int8, scripts/quantize_onnx.py on first use), in headless
Chromium (onnxruntime-web WASM on 1 and all threads, WebGPU where an adapter exists),
onnxruntime-node and PyTorch eager (1 and all threads). Also: encoder on the visible patches vs
all patches, the cost of the contract's extra outputs, analytic FLOPs, the bundled model's PSNR
on the sample photos fp32 vs int8, and slider -> repaint latency in the browser. Writes OUT/PERFORMANCE.md and OUT/performance.json.

options:
  --quick     bundled model only (the tiny fixture model if models/mae-small is absent), few runs,
              no export, PyTorch only if installed; what CI runs (default OUT: out/bench)
  --large     also random-weight large (exported on first use; needs 8 GiB of free memory)
  --json      print the result as JSON on stdout (progress goes to stderr)
  --out DIR   output folder (default: docs, or out/bench with --quick)
  -h, --help  show this text

exit status: 0 everything measured or skipped with a reason, 1 a measurement failed.`;

interface BenchModel {
  id: string;
  folder: string;
  role: ModelReport['role'];
  /** Quantised copies: the fp32 model they were made from. */
  source?: BenchModel;
  quantization?: QuantizationMode;
}

/** The quantisation the full run adds for the bundled model and for base: the fastest (PERFORMANCE.md). */
const QUANTIZATION: QuantizationMode = 'int8';
const SAMPLES = join(REPO_ROOT, 'public/samples');
const QUALITY_SEEDS = [0, 1, 2];

const log = (line: string) => process.stderr.write(`${line}\n`);

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

async function pickModels(quick: boolean, large: boolean, skipped: string[]): Promise<BenchModel[]> {
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

async function graphBytes(folder: string, config: ModelConfig): Promise<number> {
  const size = async (file: ModelFile | undefined): Promise<number> =>
    file ? (await stat(join(folder, file.path))).size + (await size(file.externalData)) : 0;
  return (await size(config.files.encoder)) + (await size(config.files.decoder));
}

const gflopPerS = (flops: number, ms: number) => Number((flops / (ms / 1000) / 1e9).toFixed(2));

/** Masked-patch PSNR of a trained model and of its quantised copy on the sample photos, same masks. */
async function quality(fp32: BenchModel, quantized: BenchModel): Promise<ModelReport['quality']> {
  const score = async (model: BenchModel) =>
    await evaluate({
      model: model.folder,
      data: SAMPLES,
      maskRatio: MASK_RATIO,
      seeds: QUALITY_SEEDS,
      json: true,
    });
  const [before, after] = [await score(fp32), await score(quantized)];
  log(
    `  PSNR on the samples: ${after.summary.model_psnr.toFixed(2)} dB (fp32 ${before.summary.model_psnr.toFixed(2)} dB)`,
  );
  return {
    images: after.images.length,
    seeds: QUALITY_SEEDS,
    fp32_psnr_db: Number(before.summary.model_psnr.toFixed(3)),
    psnr_db: Number(after.summary.model_psnr.toFixed(3)),
  };
}

/** onnxruntime-node and PyTorch for one model. */
async function benchNative(
  model: BenchModel,
  settings: Settings,
  allThreads: number,
  failures: string[],
): Promise<{ report: ModelReport; torch: string | null }> {
  const loaded: LoadedModel = await readNodeModel(model.folder);
  const { config } = loaded;
  const keep = lenKeep(config.numPatches, MASK_RATIO);
  const visible = reconstructionFlops(config, keep);
  const all = reconstructionFlops(config, config.numPatches);
  const rawConfig = JSON.parse(await readFile(join(model.folder, 'config.json'), 'utf8')) as {
    parameters?: number;
  };
  const report: ModelReport = {
    id: model.id,
    folder: relative(REPO_ROOT, model.folder),
    name: config.name,
    role: model.role,
    ...(model.source && { quantized_from: model.source.id, quantization: model.quantization }),
    parameters: rawConfig.parameters ?? null,
    bytes: await graphBytes(model.folder, config),
    image_size: config.imageSize,
    patch_size: config.patchSize,
    num_patches: config.numPatches,
    visible_patches: keep,
    flops: {
      encoder_visible: visible.encoder,
      encoder_all: all.encoder,
      decoder: visible.decoder,
      total: visible.total,
    },
    runs: [],
  };
  const decoded = syntheticPhoto();
  const loop = { warmup: settings.warmup, iterations: settings.iterations, maskRatio: MASK_RATIO };
  const threadCounts = [...new Set([1, allThreads])];
  let reference: ReferenceRun | undefined;
  let leanAllThreadsMs: number | undefined;

  for (const threads of threadCounts) {
    try {
      await withNodeRunner(loaded, threads, 'lean', async (runner) => {
        const timing = summarize(await timeReconstructions(runner, config, decoded, loop));
        report.runs.push({
          runtime: 'onnxruntime-node',
          threads,
          status: 'ok',
          timing,
          gflop_per_s: gflopPerS(visible.total, timing.model_ms),
        });
        log(`  onnxruntime-node ${threads}T: ${timing.total_ms.toFixed(1)} ms end to end`);
        if (threads !== allThreads) return;
        leanAllThreadsMs = timing.model_ms;
        const everyPatch = summarize(
          await timeReconstructions(runner, config, decoded, { ...loop, maskRatio: 0 }),
        );
        report.encoder_patches = {
          threads,
          visible_ms: timing.encoder_ms,
          all_ms: everyPatch.encoder_ms,
          ratio: Number((everyPatch.encoder_ms / timing.encoder_ms).toFixed(3)),
          flops_ratio: Number((all.encoder / visible.encoder).toFixed(3)),
        };
        reference = await referenceRun(runner, config, MASK_RATIO);
      });
    } catch (error) {
      report.runs.push({ runtime: 'onnxruntime-node', threads, status: 'failed', reason: errorText(error) });
    }
  }

  if (leanAllThreadsMs !== undefined) {
    try {
      await withNodeRunner(loaded, allThreads, 'full', async (runner) => {
        const fetchOnly = summarize(await timeReconstructions(runner, config, decoded, loop));
        const fetchAll = summarize(
          await timeReconstructions(runner, config, decoded, { ...loop, intermediates: true }),
        );
        report.extra_outputs = {
          threads: allThreads,
          lean_ms: leanAllThreadsMs!,
          full_fetch_latent_pred_ms: fetchOnly.model_ms,
          full_fetch_all_ms: fetchAll.model_ms,
        };
      });
    } catch (error) {
      failures.push(`${model.id} extra outputs (full graphs): ${errorText(error)}`);
    }
  }

  if (model.source?.role === 'bundled') {
    try {
      report.quality = await quality(model.source, model);
    } catch (error) {
      failures.push(`${model.id} PSNR on the samples: ${errorText(error)}`);
    }
  }

  let torch: string | null = null;
  for (const threads of threadCounts) {
    if (model.source) {
      const reason = `PyTorch runs fp32 weights only: compared with ${model.source.id}'s PyTorch run`;
      report.runs.push({ runtime: 'pytorch-eager', threads, status: 'skipped', reason });
      continue;
    }
    if (!reference) {
      report.runs.push({
        runtime: 'pytorch-eager',
        threads,
        status: 'skipped',
        reason: 'no onnxruntime reference',
      });
      continue;
    }
    try {
      const { warmup, iterations } = loop;
      const result = await runTorch(REPO_ROOT, model.folder, config, reference, {
        threads,
        warmup,
        iterations,
      });
      // PyTorch times the two halves only: summarise them as runs without pre/post-processing.
      const samples = result.encoder_ms.map((encoderMs, i) => {
        const decoderMs = result.decoder_ms[i]!;
        return { preMs: 0, encoderMs, decoderMs, postMs: 0, totalMs: encoderMs + decoderMs };
      });
      const { runs, encoder_ms, decoder_ms, model_ms } = summarize(samples);
      torch = result.torch;
      report.runs.push({
        runtime: 'pytorch-eager',
        threads,
        status: 'ok',
        timing: { runs, encoder_ms, decoder_ms, model_ms },
        gflop_per_s: gflopPerS(visible.total, model_ms),
        max_abs_diff_vs_onnxruntime: result.maxAbsDiff,
      });
      log(`  PyTorch eager ${threads}T: ${model_ms.toFixed(1)} ms encoder+decoder`);
    } catch (error) {
      // No PyTorch is a skip (the quick mode allows it); a helper that ran and broke is a failure.
      const reason = errorText(error);
      const status = /PyTorch is not available|ENOENT/.test(reason) ? 'skipped' : 'failed';
      report.runs.push({ runtime: 'pytorch-eager', threads, status, reason });
    }
  }
  return { report, torch };
}

/** Chromium: WASM on 1 and all threads, WebGPU where it makes sense, then the slider. */
async function benchBrowser(
  models: BenchModel[],
  reports: ModelReport[],
  settings: Settings,
  quick: boolean,
): Promise<{ chromium: string | null; adapter: MachineInfo['webgpu_adapter']; slider: SliderReport }> {
  const how =
    'in the app itself (production build, its default model): keyboard input event on its ' +
    '"Mask ratio" slider (steps of 1 %, bouncing between its ends) -> store -> worker (masking, ' +
    "encoder, decoder, views) -> React renders the four canvases (putImageData) -> the app's " +
    `performance mark "${VIEWS_PAINTED_MARK}" in the next animation frame`;
  const notRun = (status: 'skipped' | 'failed', reason: string) => {
    for (const report of reports)
      report.runs.push({ runtime: 'chromium-wasm', threads: null, status, reason });
    return { chromium: null, adapter: null, slider: { status, reason, how } };
  };
  if (!existsSync(CHROMIUM)) return notRun('skipped', `${CHROMIUM} is not installed`);
  log('building the bench page and starting Chromium');
  let browser: BenchBrowser;
  try {
    browser = await BenchBrowser.open(REPO_ROOT, BENCH_DIST, new Map(models.map((m) => [m.id, m.folder])));
  } catch (error) {
    // The native numbers are still worth writing down.
    return notRun('failed', `the bench page did not open: ${errorText(error)}`);
  }
  try {
    const { info } = browser;
    // Without cross-origin isolation (COOP/COEP) onnxruntime-web cannot start threads.
    const allThreads = info.crossOriginIsolated ? info.hardwareConcurrency : 1;
    const adapter = info.webgpuAdapter;
    for (const [index, model] of models.entries()) {
      const report = reports[index]!;
      const modelUrl = BenchBrowser.modelUrl(model.id);
      const measure = async (
        run: Omit<RuntimeRun, 'status'>,
        loop: Pick<Settings, 'warmup' | 'iterations'>,
      ) => {
        try {
          const backend = run.runtime === 'chromium-webgpu' ? 'webgpu' : 'wasm';
          const threads = run.threads ?? 1;
          const result = await browser.measure({
            modelUrl,
            backend,
            threads,
            ...loop,
            maskRatio: MASK_RATIO,
          });
          const timing = summarize(result.samples);
          report.runs.push({
            ...run,
            status: 'ok',
            timing,
            gflop_per_s: gflopPerS(report.flops.total, timing.model_ms),
            load_ms: Number(result.loadMs.toFixed(1)),
          });
          log(
            `  ${model.id} ${run.runtime} ${run.threads ?? ''}: ${timing.total_ms.toFixed(1)} ms end to end`,
          );
        } catch (error) {
          report.runs.push({ ...run, status: 'failed', reason: errorText(error) });
        }
      };
      for (const threads of new Set([1, allThreads]))
        await measure({ runtime: 'chromium-wasm', threads }, settings);
      const webgpu = { runtime: 'chromium-webgpu' as const, threads: null };
      if (!adapter) {
        report.runs.push({ ...webgpu, status: 'skipped', reason: 'no WebGPU adapter' });
      } else if (adapter.isFallbackAdapter && (model.role !== 'bundled' || quick)) {
        const reason = `software adapter (${adapter.architecture || adapter.vendor}), ~100x slower than WASM: ${
          quick ? 'only in the full run' : 'bundled model only'
        }`;
        report.runs.push({ ...webgpu, software: true, status: 'skipped', reason });
      } else {
        const software = adapter.isFallbackAdapter;
        await measure({ ...webgpu, software }, software ? SOFTWARE_WEBGPU : settings);
      }
    }
    const sliderModel = models.find((m) => m.role === 'bundled');
    let slider: SliderReport;
    if (sliderModel?.id !== BUNDLED_ID) {
      slider = {
        status: 'skipped',
        reason: 'the app opens the bundled model (models/mae-small), absent',
        how,
      };
    } else {
      try {
        const { latencies, threads } = await browser.appSliderLatencies(settings.sliderMoves);
        slider = {
          status: 'ok',
          model: sliderModel.id,
          ...(threads !== null && { threads }),
          moves: latencies.length,
          p50_ms: Number(percentile(latencies, 50).toFixed(2)),
          p95_ms: Number(percentile(latencies, 95).toFixed(2)),
          how,
        };
        log(`  slider -> repaint: p50 ${slider.p50_ms} ms, p95 ${slider.p95_ms} ms`);
      } catch (error) {
        slider = { status: 'failed', reason: errorText(error), how };
      }
    }
    return { chromium: info.chromium, adapter, slider };
  } finally {
    await browser.close();
  }
}

async function packageVersion(name: string): Promise<string> {
  const json = await readFile(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8');
  return (JSON.parse(json) as { version: string }).version;
}

/** The instruction sets, of those that pick onnxruntime's int8 kernels, the first CPU's flags list. */
function cpuFeatures(cpuinfo: string): string[] {
  const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/));
  return CPU_FEATURES.filter((feature) => flags.has(feature));
}

async function machineBase(): Promise<Omit<MachineInfo, 'chromium' | 'webgpu_adapter' | 'torch'>> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cpu_features: cpuFeatures(cpuinfo),
    cores: availableParallelism(),
    memory_gib: Number((totalmem() / 2 ** 30).toFixed(1)),
    os: `${/^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? process.platform}, kernel ${release()}`,
    node: process.version,
    onnxruntime_node: await packageVersion('onnxruntime-node'),
    onnxruntime_web: await packageVersion('onnxruntime-web'),
    load_average: loadavg().map((v) => Number(v.toFixed(2))),
  };
}

/** The `bench` subcommand: returns the exit status. */
export async function runBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      large: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const started = performance.now();
  const quick = values.quick;
  const settings = quick ? QUICK : FULL;
  const out = resolve(values.out ?? join(REPO_ROOT, quick ? 'out/bench' : 'docs'));
  const machine = await machineBase(); // load average before the bench adds its own
  const skipped: string[] = [];
  const failures: string[] = [];
  const models = await pickModels(quick, values.large, skipped);
  const allThreads = availableParallelism();

  const reports: ModelReport[] = [];
  let torch: string | null = null;
  for (const model of models) {
    log(`${model.id}: onnxruntime-node and PyTorch`);
    const native = await benchNative(model, settings, allThreads, failures);
    reports.push(native.report);
    torch ??= native.torch;
  }
  const browser = await benchBrowser(models, reports, settings, quick);

  const result: BenchResult = {
    format: RESULT_FORMAT,
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    duration_s: Number(((performance.now() - started) / 1000).toFixed(1)),
    machine: { ...machine, chromium: browser.chromium, webgpu_adapter: browser.adapter, torch },
    settings: {
      mask_ratio: MASK_RATIO,
      warmup: settings.warmup,
      iterations: settings.iterations,
      input: `a decoded ${INPUT_WIDTH}x${INPUT_HEIGHT} RGBA image (synthetic, src/bench/workload.ts)`,
    },
    models: reports,
    ratios: computeRatios(reports, allThreads, browser.slider),
    slider: browser.slider,
    skipped: [
      ...skipped,
      ...reports.flatMap((r) =>
        r.runs
          .filter((run) => run.status === 'skipped')
          .map((run) => `${r.id} ${run.runtime}: ${run.reason}`),
      ),
    ],
    failures: [
      ...failures,
      ...reports.flatMap((r) =>
        r.runs.filter((run) => run.status === 'failed').map((run) => `${r.id} ${run.runtime}: ${run.reason}`),
      ),
      ...(browser.slider.status === 'failed' ? [`slider: ${browser.slider.reason}`] : []),
    ],
  };
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'performance.json'), `${JSON.stringify(result, null, 2)}\n`);
  // Hand-written analysis of the committed run (docs/performance-notes.md), kept with its table.
  const notesPath = join(out, 'performance-notes.md');
  const notes = existsSync(notesPath) ? await readFile(notesPath, 'utf8') : undefined;
  await writeFile(join(out, 'PERFORMANCE.md'), renderMarkdown(result, notes));
  log(`wrote ${join(out, 'PERFORMANCE.md')} and performance.json in ${result.duration_s} s`);
  if (values.json) console.log(JSON.stringify(result));

  for (const failure of result.failures) log(`failed: ${failure}`);
  return result.failures.length > 0 ? 1 : 0;
}
