import type { Views } from '../mae/views';

/** The four views in display order, with the accessible name each canvas carries. */
export const VIEW_LABELS: { key: keyof Views; label: string; hint: string }[] = [
  { key: 'original', label: 'Original', hint: 'resized and centre-cropped' },
  { key: 'masked', label: 'Masked', hint: 'all the encoder gets to see' },
  { key: 'reconstruction', label: 'Reconstruction', hint: 'the decoder’s guess for every patch' },
  {
    key: 'reconstructionPlusVisible',
    label: 'Reconstruction + visible',
    hint: 'visible patches pasted back',
  },
];
