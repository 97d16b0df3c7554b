/**
 * The measured unit of work, shared by the Node runs and the browser worker so both time the same
 * code: decoded image -> preprocessing -> masking -> encoder + decoder -> the four RGBA views.
 */
import type { ModelConfig } from '../mae/config';
import type { Image8 } from '../mae/image';
import { prepareImage } from '../mae/pipeline';
import type { MaeRunner } from '../runtime/maeRunner';
import { reconstruct } from '../runtime/reconstruct';
import { median } from './stats';

/**
 * A decoded 4:3 camera-sized frame, as the app gets it from createImageBitmap, so that the
 * resize and crop to the model's size are part of the measured preprocessing.
 */
export const INPUT_WIDTH = 640;
export const INPUT_HEIGHT = 480;

/**
 * Deterministic RGBA pixels (smooth gradients with some texture). Run time does not depend on
 * the content; fixed content lets runtimes be compared output for output.
 */
export function syntheticPhoto(width = INPUT_WIDTH, height = INPUT_HEIGHT): Image8 {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const texture = 40 * Math.sin(x * 0.07) * Math.cos(y * 0.05);
      data[i] = (255 * x) / width + texture;
      data[i + 1] = (255 * y) / height - texture;
      data[i + 2] = 128 + 90 * Math.sin((x + y) * 0.02);
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

export interface StepTimes {
  /** Preprocessing (resize, crop, normalise, patchify) and masking with the gather of visible rows. */
  preMs: number;
  /** What a mask change costs in JavaScript on an image already prepared: masking and gather before the graphs, views and metrics after. */
  maskChangeJsMs: number;
  encoderMs: number;
  decoderMs: number;
  /** Prediction to the four RGBA views. */
  postMs: number;
  totalMs: number;
}

/** One end-to-end reconstruction from a decoded image through the page's own pass, timed by stage. */
export async function timedReconstruction(
  runner: MaeRunner,
  config: ModelConfig,
  decoded: Image8,
  maskRatio: number,
  seed: number,
  intermediates = false,
): Promise<StepTimes> {
  const started = performance.now();
  const prepared = prepareImage(decoded, config);
  const prepareMs = performance.now() - started;
  const run = await reconstruct(runner, config, prepared, {
    mask: { mode: 'random', ratio: maskRatio, seed },
    intermediates,
  });
  return {
    preMs: prepareMs + run.maskMs,
    maskChangeJsMs: run.maskMs + run.postMs,
    encoderMs: run.encoderMs,
    decoderMs: run.decoderMs,
    postMs: run.postMs,
    totalMs: performance.now() - started,
  };
}

export interface LoopOptions {
  /** Untimed runs first: they pay for allocations, weight pre-packing and JIT warm-up. */
  warmup: number;
  iterations: number;
  maskRatio: number;
  /** Also fetch the stepper's intermediate outputs (the full graphs). */
  intermediates?: boolean;
}

/** `warmup` untimed runs, then `iterations` timed ones; run i uses mask seed i. */
export async function timeReconstructions(
  runner: MaeRunner,
  config: ModelConfig,
  decoded: Image8,
  options: LoopOptions,
): Promise<StepTimes[]> {
  const samples: StepTimes[] = [];
  for (let i = 0; i < options.warmup + options.iterations; i++) {
    const times = await timedReconstruction(
      runner,
      config,
      decoded,
      options.maskRatio,
      i,
      options.intermediates,
    );
    if (i >= options.warmup) samples.push(times);
  }
  return samples;
}

/** Medians over the timed runs, per stage; `model_ms` is encoder + decoder of the same run. */
export interface TimingSummary {
  runs: number;
  total_ms: number;
  pre_ms: number;
  /** Masking, gather, views and metrics: the JavaScript of a mask change (the image is prepared once). */
  mask_change_js_ms: number;
  encoder_ms: number;
  decoder_ms: number;
  post_ms: number;
  model_ms: number;
  /** Fastest and slowest timed run, end to end: how noisy the machine was. */
  total_min_ms: number;
  total_max_ms: number;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

export function summarize(samples: readonly StepTimes[]): TimingSummary {
  const of = (pick: (s: StepTimes) => number) => round3(median(samples.map(pick)));
  const totals = samples.map((s) => s.totalMs);
  return {
    runs: samples.length,
    total_ms: of((s) => s.totalMs),
    pre_ms: of((s) => s.preMs),
    mask_change_js_ms: of((s) => s.maskChangeJsMs),
    encoder_ms: of((s) => s.encoderMs),
    decoder_ms: of((s) => s.decoderMs),
    post_ms: of((s) => s.postMs),
    model_ms: of((s) => s.encoderMs + s.decoderMs),
    total_min_ms: round3(Math.min(...totals)),
    total_max_ms: round3(Math.max(...totals)),
  };
}
