/** The pipeline stepper: which step is on show and what it inspects. */
import { STEP_IDS } from '../steps';
import type { SliceCreator, StepperSlice } from './types';

const INSPECTION = {
  encoderLayer: 0,
  encoderHead: 'mean',
  attentionQuery: { kind: 'cls' },
  decoderLayer: null,
} as const;

export const createStepperSlice: SliceCreator<StepperSlice> = () => (set, get) => ({
  stepperOpen: false,
  step: 0,
  ...INSPECTION,

  setStepperOpen(open) {
    if (open === get().stepperOpen) return;
    set({ stepperOpen: open });
    // Intermediates are fetched only while the stepper is open: the plain path stays lean.
    if (open && !get().result?.intermediates) get().run();
  },

  setStep(step) {
    set({ step: Math.min(STEP_IDS.length - 1, Math.max(0, Math.trunc(step))) });
  },

  setEncoderLayer(layer) {
    set({ encoderLayer: Math.max(0, Math.trunc(layer)) });
  },

  setEncoderHead(head) {
    set({ encoderHead: head });
  },

  setAttentionQuery(query) {
    set({ attentionQuery: query });
  },

  setDecoderLayer(layer) {
    set({ decoderLayer: Math.max(0, Math.trunc(layer)) });
  },

  resetInspection() {
    set(INSPECTION);
  },
});
