/**
 * The pipeline stepper's ten steps, in the order the data flows (the paper's figure 1), each with
 * one sentence and the shape of the tensor it shows, written from the model's config.
 */
import { gridSize, type ModelConfig, patchDim } from '../mae/config';
import type { MaskMode } from '../mae/maskModes';

export const STEP_IDS = [
  'input',
  'patchify',
  'noise',
  'mask',
  'visible-tokens',
  'encoder',
  'decoder-input',
  'decoder-layers',
  'reconstruction',
  'reconstruction-plus-visible',
] as const;
export type StepId = (typeof STEP_IDS)[number];

export const STEP_TITLES: Record<StepId, string> = {
  input: 'Input',
  patchify: 'Patchify',
  noise: 'Noise',
  mask: 'Mask',
  'visible-tokens': 'Visible tokens',
  encoder: 'Encoder',
  'decoder-input': 'Decoder input',
  'decoder-layers': 'Decoder layers',
  reconstruction: 'Reconstruction',
  'reconstruction-plus-visible': 'Reconstruction + visible',
};

export interface StepText {
  sentence: string;
  shape: string;
}

/** `visible` = K, the patches the encoder sees in this run. */
export function stepText(id: StepId, config: ModelConfig, visible: number, maskMode: MaskMode): StepText {
  const S = config.imageSize;
  const P = config.patchSize;
  const G = gridSize(config);
  const N = config.numPatches;
  const dim = patchDim(config);
  const K = visible;
  const { depth: L, numHeads: H, embedDim: D } = config.encoder;
  const { depth: Ld, embedDim: Dd } = config.decoder;
  switch (id) {
    case 'input':
      return {
        sentence: `The picture is resized (shorter side to ${S} px, bicubic) and centre-cropped to the ${S}×${S} square the model expects.`,
        shape: `image [3, ${S}, ${S}]`,
      };
    case 'patchify':
      return {
        sentence: `The square is cut into a ${G}×${G} grid of ${P}×${P} patches; each patch becomes one vector of ${P}·${P}·3 = ${dim} numbers, numbered row by row.`,
        shape: `patches [1, ${N}, ${dim}]`,
      };
    case 'noise':
      if (maskMode !== 'random') {
        return {
          sentence: `This mask mode picks patches directly, without noise; ids_shuffle lists the ${K} kept patches first, then the removed ones, each in patch order.`,
          shape: `ids_shuffle [1, ${N}]`,
        };
      }
      return {
        sentence: `Each patch draws a uniform random number; sorting them gives a random order (ids_shuffle) and the ${K} smallest are kept.`,
        shape: `noise [1, ${N}] → ids_shuffle [1, ${N}]`,
      };
    case 'mask':
      return {
        sentence: `The binary mask marks removed patches with 1 and kept ones with 0: ${N - K} removed, ${K} kept.`,
        shape: `mask [1, ${N}]`,
      };
    case 'visible-tokens':
      return {
        sentence: `Only the ${K} kept patches, in ids_keep order, are embedded and given their positions: the encoder never sees a mask token, which is what makes MAE cheap.`,
        shape: `visible_patches [1, ${K}, ${dim}] → tokens [1, ${K + 1}, ${D}] with cls`,
      };
    case 'encoder':
      return {
        sentence: `${L} transformer blocks of ${H} heads mix the ${K} visible tokens and a cls token; pick a layer, a head and a token to see where it attends.`,
        shape: `attentions [1, ${L}, ${H}, ${K + 1}, ${K + 1}]`,
      };
    case 'decoder-input':
      return {
        sentence: `The latent tokens go back to their places (ids_restore) and every removed position gets the same learned mask token.`,
        shape: `latent [1, ${K + 1}, ${D}] → decoder tokens [1, ${N + 1}, ${Dd}]`,
      };
    case 'decoder-layers':
      return {
        sentence: `Each of the ${Ld} decoder blocks refines every patch; here each block's output is read out through the final norm and prediction head.`,
        shape: `pred_per_layer [1, ${Ld}, ${N}, ${dim}]`,
      };
    case 'reconstruction':
      return {
        sentence: `The last block's predicted patches are put back on the grid (unpatchify) and de-normalised into an image; visible patches are predicted too, but not scored.`,
        shape: `pred [1, ${N}, ${dim}] → image [3, ${S}, ${S}]`,
      };
    case 'reconstruction-plus-visible':
      return {
        sentence: `The visible patches are pasted back over the prediction; the error map shows each removed patch's mean squared error, and the PSNR is taken over all of them.`,
        shape: `image [3, ${S}, ${S}], error [${N}]`,
      };
  }
}
