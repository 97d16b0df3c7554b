/**
 * `npm run bench`: one run on this machine that times a reconstruction in every runtime a user
 * could pick (browser WASM / WebGPU, onnxruntime-node, PyTorch eager), at the bundled model's size
 * and at base size, and writes PERFORMANCE.md and performance.json from that run alone.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { CHROMIUM } from '../cli/chromium';
import { evaluate } from '../cli/eval';
import { readNodeModel } from '../cli/model';
import { lenKeep } from '../mae/masking';
import { errorText } from '../shared/errorText';
import { VIEWS_PAINTED_MARK } from '../shared/marks';
import { BenchBrowser } from './browser';
import { reconstructionFlops } from './flops';
import { machineBase } from './machine';
import { type BenchModel, givenModel, graphBytes, log, modelPath, pickModels, REPO_ROOT } from './models';
import { type LoadedModel, type ReferenceRun, referenceRun, runTorch, withNodeRunner } from './native';
import {
  type BenchResult,
  BUNDLED_ID,
  type CameraReport,
  computeRatios,
  type MachineInfo,
  type ModelReport,
  renderMarkdown,
  RESULT_FORMAT,
  type RuntimeRun,
  type SliderReport,
} from './report';
import { percentile } from './stats';
import { INPUT_HEIGHT, INPUT_WIDTH, summarize, syntheticPhoto, timeReconstructions } from './workload';

const BENCH_DIST = join(REPO_ROOT, 'out/bench-dist');
const MASK_RATIO = 0.75;
const SAMPLES = join(REPO_ROOT, 'public/samples');
const QUALITY_SEEDS = [0, 1, 2];

interface Settings {
  warmup: number;
  iterations: number;
  sliderMoves: number;
  /** How long camera mode's frames are counted. */
  cameraSeconds: number;
}
const FULL: Settings = { warmup: 3, iterations: 11, sliderMoves: 30, cameraSeconds: 15 };
const QUICK: Settings = { warmup: 1, iterations: 5, sliderMoves: 10, cameraSeconds: 5 };
/** SwiftShader runs the bundled model in seconds per reconstruction: the fewest runs the issue allows. */
const SOFTWARE_WEBGPU: Pick<Settings, 'warmup' | 'iterations'> = { warmup: 1, iterations: 10 };

export const BENCH_USAGE = `usage: npm run bench -- [--quick] [--large] [--model PATH] [--json] [--out DIR]

Times one end-to-end reconstruction at ${MASK_RATIO * 100} % masking of the bundled model (models/mae-small)
and of a random-weight base-size export (models/random-base, exported on first use), and of
int8 copies of both (models/ID-int8, scripts/quantize_onnx.py on first use), in headless
Chromium (onnxruntime-web WASM on 1 and all threads, WebGPU where an adapter exists),
onnxruntime-node and PyTorch eager (1 and all threads). Also: encoder on the visible patches vs
all patches, the cost of the contract's extra outputs, analytic FLOPs, the bundled model's PSNR
on the sample photos fp32 vs int8, slider -> repaint latency and camera frames per second in the browser. Writes OUT/PERFORMANCE.md and OUT/performance.json.

options:
  --quick     bundled model only (the tiny fixture model if models/mae-small is absent), few runs,
              no export, PyTorch only if installed; what CI runs (default OUT: out/bench)
  --large     also random-weight large (exported on first use; needs 8 GiB of free memory)
  --model PATH  measure this model alone, as \`npm run reconstruct\` takes it: an export folder, a
              Hugging Face folder (config.json + model.safetensors or pytorch_model.bin) or a
              checkpoint file (Meta's .pth), read by the page's own loader in Node and in
              Chromium (default OUT: out/bench)
  --json      print the result as JSON on stdout (progress goes to stderr)
  --out DIR   output folder (default: docs, or out/bench with --quick)
  -h, --help  show this text

exit status: 0 everything measured or skipped with a reason, 1 a measurement failed.`;

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
  const loaded: LoadedModel = await readNodeModel(modelPath(model));
  const { config } = loaded;
  const keep = lenKeep(config.numPatches, MASK_RATIO);
  const visible = reconstructionFlops(config, keep);
  const all = reconstructionFlops(config, config.numPatches);
  // Exports record their parameter count in config.json; checkpoints' configs do not.
  const rawConfig =
    model.weights === undefined
      ? (JSON.parse(await readFile(join(model.folder, 'config.json'), 'utf8')) as { parameters?: number })
      : {};
  const report: ModelReport = {
    id: model.id,
    folder: relative(REPO_ROOT, modelPath(model)),
    name: config.name,
    role: model.role,
    ...(model.source && { quantized_from: model.source.id, quantization: model.quantization }),
    parameters: rawConfig.parameters ?? null,
    bytes:
      model.weights === undefined
        ? await graphBytes(model.folder, config)
        : (await stat(modelPath(model))).size,
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
      const result = await runTorch(REPO_ROOT, modelPath(model), config, reference, {
        threads,
        warmup,
        iterations,
      });
      // PyTorch times the two halves only: summarise them as runs without pre/post-processing.
      const samples = result.encoder_ms.map((encoderMs, i) => {
        const decoderMs = result.decoder_ms[i]!;
        return {
          preMs: 0,
          maskChangeJsMs: 0,
          encoderMs,
          decoderMs,
          postMs: 0,
          totalMs: encoderMs + decoderMs,
        };
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

const CAMERA_HOW =
  "in the app itself (production build, its default model) on Chromium's fake camera (a moving " +
  'test pattern at 20 frames per second, which caps the rate): camera button -> each frame ' +
  "centre-cropped, reconstructed in the worker and repainted; the frames are the app's " +
  `performance marks "${VIEWS_PAINTED_MARK}" counted over the window, after three warm-up frames`;

/** Camera mode in the app: frames per second and the time between frames. */
async function benchCamera(browser: BenchBrowser, model: string, seconds: number): Promise<CameraReport> {
  const how = CAMERA_HOW;
  try {
    const { paintedAt, threads } = await browser.appCameraFrames(seconds);
    if (paintedAt.length < 2) throw new Error(`${paintedAt.length} frames repainted in ${seconds} s`);
    const gaps = paintedAt.slice(1).map((time, i) => time - paintedAt[i]!);
    const span = paintedAt.at(-1)! - paintedAt[0]!;
    const camera: CameraReport = {
      status: 'ok',
      model,
      ...(threads !== null && { threads }),
      frames: paintedAt.length,
      seconds,
      frames_per_second: Number((((paintedAt.length - 1) * 1000) / span).toFixed(2)),
      frame_ms: Number(percentile(gaps, 50).toFixed(2)),
      how,
    };
    log(`  camera: ${camera.frames_per_second} frames per second, ${camera.frame_ms} ms between frames`);
    return camera;
  } catch (error) {
    return { status: 'failed', reason: errorText(error), how };
  }
}

/** Chromium: WASM on 1 and all threads, WebGPU where it makes sense, then the slider and the camera. */
async function benchBrowser(
  models: BenchModel[],
  reports: ModelReport[],
  settings: Settings,
  quick: boolean,
): Promise<{
  chromium: string | null;
  adapter: MachineInfo['webgpu_adapter'];
  slider: SliderReport;
  camera: CameraReport;
}> {
  const how =
    'in the app itself (production build, its default model): keyboard input event on its ' +
    '"Mask ratio" slider (steps of 1 %, bouncing between its ends) -> store -> worker (masking, ' +
    "encoder, decoder, views) -> React renders the four canvases (putImageData) -> the app's " +
    `performance mark "${VIEWS_PAINTED_MARK}" in the next animation frame`;
  const notRun = (status: 'skipped' | 'failed', reason: string) => {
    for (const report of reports)
      report.runs.push({ runtime: 'chromium-wasm', threads: null, status, reason });
    return {
      chromium: null,
      adapter: null,
      slider: { status, reason, how },
      camera: { status, reason, how: CAMERA_HOW },
    };
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
            ...(model.weights !== undefined && { weights: model.weights }),
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
    let camera: CameraReport;
    if (sliderModel?.id !== BUNDLED_ID) {
      const reason = 'the app opens the bundled model (models/mae-small), absent';
      slider = { status: 'skipped', reason, how };
      camera = { status: 'skipped', reason, how: CAMERA_HOW };
    } else {
      try {
        const { latencies, jsMs, threads } = await browser.appSliderLatencies(
          settings.sliderMoves,
          settings.warmup,
        );
        slider = {
          status: 'ok',
          model: sliderModel.id,
          ...(threads !== null && { threads }),
          moves: latencies.length,
          p50_ms: Number(percentile(latencies, 50).toFixed(2)),
          p95_ms: Number(percentile(latencies, 95).toFixed(2)),
          js_ms: Number(percentile(jsMs, 50).toFixed(2)),
          how,
        };
        log(`  slider -> repaint: p50 ${slider.p50_ms} ms, p95 ${slider.p95_ms} ms`);
      } catch (error) {
        slider = { status: 'failed', reason: errorText(error), how };
      }
      camera = await benchCamera(browser, sliderModel.id, settings.cameraSeconds);
    }
    return { chromium: info.chromium, adapter, slider, camera };
  } finally {
    await browser.close();
  }
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
      model: { type: 'string' },
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
  // A run of another model is not the committed one: it never overwrites docs/ unless told to.
  const out = resolve(values.out ?? join(REPO_ROOT, quick || values.model ? 'out/bench' : 'docs'));
  const machine = await machineBase(); // load average before the bench adds its own
  const skipped: string[] = [];
  const failures: string[] = [];
  const models = values.model
    ? [await givenModel(values.model)]
    : await pickModels(quick, values.large, skipped);
  if (values.model)
    skipped.push(`the bundled and reference models: --model ${values.model} named the one to measure`);
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
    ratios: computeRatios(reports, allThreads, browser.slider, browser.camera),
    slider: browser.slider,
    camera: browser.camera,
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
      ...(browser.camera.status === 'failed' ? [`camera: ${browser.camera.reason}`] : []),
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
