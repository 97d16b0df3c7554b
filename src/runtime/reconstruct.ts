/**
 * The one MAE pass. The page's worker, the CLI (`reconstruct`, `eval`) and the bench all call
 * `reconstruct`, so what the bench times is what the page runs:
 *
 *   prepared image -> mask -> gather visible rows -> encoder -> decoder -> pixels -> views, PSNR
 *
 * The image-only work (resize, crop, normalise, patchify: `prepareImage`) happens once per image
 * before this; a mask change costs only what is below.
 */
import { gridSize, type ModelConfig, patchDim } from '../formats/config';
import { buildMasking, type MaskPlan, type MaskSpec } from '../mae/maskModes';
import { maskedMetricsOfPatches } from '../mae/metrics';
import { type NormPixStatistics, predictionForDisplay } from '../mae/normPix';
import { gatherRows } from '../mae/patches';
import type { PreparedImage } from '../mae/pipeline';
import { predictionToPixels, readOutPrediction, reconstructionView, type Views } from '../mae/views';
import type { MaeRunner, MaeRunResult } from './maeRunner';

export interface ReconstructOptions {
  mask: MaskSpec;
  /** Also return every intermediate output the pipeline stepper shows (costs the full graphs). */
  intermediates?: boolean;
  /** Also return the raw `pred` and `latent` tensors (the CLI's --save-tensors). */
  tensors?: boolean;
  /** How norm_pix_loss predictions get their patch statistics back; ignored for other models. */
  normPixStatistics?: NormPixStatistics;
}

/** One run's tensors as the pipeline stepper shows them. */
export interface Intermediates {
  /** `[N]` the noise random masking sorted; null for the modes that choose patches directly. */
  noise: Float32Array | null;
  /** `[N]` patch indices, kept ones first. */
  idsShuffle: Int32Array;
  /** `[K]` the encoder's rows. */
  idsKeep: Int32Array;
  /** `[N]` argsort(idsShuffle). */
  idsRestore: Int32Array;
  /** `[1, L, H, K+1, K+1]` softmax attention of every encoder block. */
  attentions: Float32Array;
  attentionDims: number[];
  /** `[1, K+1, D]` the encoder's output. */
  latentDims: number[];
  /** Ld pictures `[S, S, 4]`: the reconstruction read out after each decoder block. */
  decoderLayerViews: Uint8ClampedArray[];
  /** `[N]` mean squared error of every patch in 8-bit pixel space. */
  perPatchMse: Float64Array;
}

/** Milliseconds of each stage of one pass, measured inside it. */
export interface PassTimings {
  /** Masking and the gather of visible rows: JavaScript before the graphs. */
  maskMs: number;
  encoderMs: number;
  decoderMs: number;
  /** Prediction to pixels, the views and the metrics: JavaScript after the graphs. */
  postMs: number;
  totalMs: number;
}

export interface Reconstruction extends PassTimings {
  views: Views;
  /** `[N]` 1 = removed. */
  mask: Uint8Array;
  /** K: patches the encoder saw. */
  visiblePatches: number;
  numPatches: number;
  /** Over the removed patches, 8-bit pixel space; NaN when nothing is removed. */
  maskedMse: number;
  maskedPsnr: number;
  /** Only when asked for. */
  intermediates?: Intermediates;
  /** Only when asked for: `pred` `[N, P*P*3]` as the decoder gave it, `latent` `[K+1, D]`, the masking. */
  tensors?: { pred: Float32Array; latent: Float32Array; masking: MaskPlan };
}

/** Masks `prepared` as `options.mask` says, runs both graphs, composes the views and the metrics. */
export async function reconstruct(
  runner: MaeRunner,
  config: ModelConfig,
  prepared: PreparedImage,
  options: ReconstructOptions,
): Promise<Reconstruction> {
  const started = performance.now();
  const { imageSize, numPatches } = config;
  const { image, patches } = prepared; // patches: [N, P*P*3]
  if (image.width !== imageSize || patches.length !== numPatches * patchDim(config)) {
    throw new RangeError(
      `the image was prepared for another model size (${image.width} px, not ${imageSize})`,
    );
  }
  const wantIntermediates = options.intermediates ?? false;
  const masking = buildMasking(options.mask, gridSize(config));
  const visiblePatches = gatherRows(patches, patchDim(config), masking.idsKeep); // [K, P*P*3]
  const maskMs = performance.now() - started;

  const output = await runner.run({
    visiblePatches,
    idsKeep: masking.idsKeep,
    idsRestore: masking.idsRestore,
    attentions: wantIntermediates,
    predPerLayer: wantIntermediates,
  });

  const postStarted = performance.now();
  const statistics = options.normPixStatistics ?? 'patch';
  const inImageSpace = (prediction: Float32Array) =>
    predictionForDisplay(prediction, patches, masking.mask, config, statistics); // [N, P*P*3]
  const { views, perPatchMse } = readOutPrediction(inImageSpace(output.pred), image, masking.mask, config);
  const metrics = maskedMetricsOfPatches(perPatchMse, masking.mask);
  const toPixels = (prediction: Float32Array) => predictionToPixels(inImageSpace(prediction), config); // [S, S, 3]
  const intermediates = wantIntermediates
    ? intermediatesOf(output, masking, metrics.perPatchMse, toPixels, imageSize)
    : undefined;
  const done = performance.now();
  return {
    views,
    mask: masking.mask,
    visiblePatches: masking.idsKeep.length,
    numPatches,
    maskedMse: metrics.mse,
    maskedPsnr: metrics.psnr,
    maskMs,
    encoderMs: output.encoderMs,
    decoderMs: output.decoderMs,
    postMs: done - postStarted,
    totalMs: done - started,
    ...(intermediates && { intermediates }),
    ...(options.tensors && { tensors: { pred: output.pred, latent: output.latent, masking } }),
  };
}

function intermediatesOf(
  output: MaeRunResult,
  masking: MaskPlan,
  perPatchMse: Float64Array,
  toPixels: (prediction: Float32Array) => Float32Array,
  imageSize: number,
): Intermediates {
  if (!output.attentions || !output.predPerLayer) throw new Error('the model gave no intermediate outputs');
  const predPerLayer = output.predPerLayer;
  const [, layers = 0, numPatches = 0, dim = 0] = predPerLayer.dims; // [1, Ld, N, P*P*3]
  const decoderLayerViews = Array.from({ length: layers }, (_, layer) => {
    const start = layer * numPatches * dim;
    const prediction = predPerLayer.data.subarray(start, start + numPatches * dim); // [N, P*P*3]
    return reconstructionView(toPixels(prediction), imageSize);
  });
  return {
    noise: masking.noise,
    idsShuffle: masking.idsShuffle,
    idsKeep: masking.idsKeep,
    idsRestore: masking.idsRestore,
    // Copied out of ORT's buffer, which may be larger than the tensor or not transferable.
    attentions: output.attentions.data.slice(),
    attentionDims: output.attentions.dims,
    latentDims: output.latentDims,
    decoderLayerViews,
    perPatchMse,
  };
}
