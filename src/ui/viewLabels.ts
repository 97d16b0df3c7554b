import type { Views } from '../mae/views';

/** The four views in display order, with the accessible name each canvas carries. */
export const VIEW_LABELS: { key: keyof Views; label: string; hint: string }[] = [
  { key: 'original', label: 'Original', hint: 'the input, resized and centre-cropped' },
  { key: 'masked', label: 'Masked', hint: 'only these patches reach the encoder' },
  { key: 'reconstruction', label: 'Reconstruction', hint: 'the decoder’s prediction for every patch' },
  {
    key: 'reconstructionPlusVisible',
    label: 'Reconstruction + visible',
    hint: 'prediction where hidden, input elsewhere',
  },
];
