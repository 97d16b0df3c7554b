import type { MaskMode } from '../mae/maskModes';
import { isRemoteModelSpec } from '../runtime/modelSource';

/**
 * What the query string holds so that a link reproduces the view: ?sample=cat&ratio=75&seed=1&model=mae-small
 * (&mask=block or &mask=grid for those mask modes; painted masks stay on the page, and for testing or
 * benchmarks, &ep=wasm or &ep=webgpu). `model` is a bundled model's id, a
 * config.json URL or hf:OWNER/REPO[@REVISION].
 * Unknown or malformed values are dropped (the app falls back to its defaults for them).
 */

export const MAX_MASK_PERCENT = 95;
export const DEFAULT_MASK_PERCENT = 75;
export const DEFAULT_SEED = 1;
/** Seeds are 32-bit: mulberry32's state. */
export const MAX_SEED = 0xffffffff;

export const EXECUTION_PROVIDERS = ['auto', 'wasm', 'webgpu'] as const;

/** The mask modes a link can carry; a painted mask is too long for one. */
export const URL_MASK_MODES = ['random', 'block', 'grid'] as const satisfies readonly MaskMode[];

export interface UrlState {
  sample?: string;
  /** Mask ratio in whole percent, 0..MAX_MASK_PERCENT. */
  ratio?: number;
  seed?: number;
  mask?: (typeof URL_MASK_MODES)[number];
  model?: string;
  /** Execution provider override (`?ep=wasm` or `?ep=webgpu`); absent means auto. */
  ep?: (typeof EXECUTION_PROVIDERS)[number];
}

/** Long enough for any hub URL with a commit hash, short enough to refuse junk. */
const MAX_MODEL_URL_LENGTH = 2000;

function integerIn(text: string | null, min: number, max: number): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

function name(text: string | null): string | undefined {
  return text !== null && /^[\w.-]{1,100}$/.test(text) ? text : undefined;
}

function modelParam(text: string | null): string | undefined {
  if (text !== null && text.length <= MAX_MODEL_URL_LENGTH && isRemoteModelSpec(text)) return text;
  return name(text);
}

export function parseUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const state: UrlState = {};
  const sample = name(params.get('sample'));
  const ratio = integerIn(params.get('ratio'), 0, MAX_MASK_PERCENT);
  const seed = integerIn(params.get('seed'), 0, MAX_SEED);
  const model = modelParam(params.get('model'));
  const ep = EXECUTION_PROVIDERS.find((value) => value === params.get('ep'));
  const mask = URL_MASK_MODES.find((value) => value === params.get('mask'));
  if (sample !== undefined) state.sample = sample;
  if (ratio !== undefined) state.ratio = ratio;
  if (seed !== undefined) state.seed = seed;
  if (mask !== undefined) state.mask = mask;
  if (model !== undefined) state.model = model;
  if (ep !== undefined) state.ep = ep;
  return state;
}

export function formatUrlState(state: UrlState): string {
  const params = new URLSearchParams();
  if (state.sample !== undefined) params.set('sample', state.sample);
  if (state.ratio !== undefined) params.set('ratio', String(state.ratio));
  if (state.seed !== undefined) params.set('seed', String(state.seed));
  if (state.mask !== undefined && state.mask !== 'random') params.set('mask', state.mask);
  if (state.model !== undefined) params.set('model', state.model);
  if (state.ep !== undefined && state.ep !== 'auto') params.set('ep', state.ep);
  const query = params.toString();
  return query ? `?${query}` : '';
}
