import { describe, expect, it } from 'vitest';

import { formatUrlState, parseUrlState } from './urlState';

describe('URL state', () => {
  it('round-trips sample, ratio, seed and model', () => {
    const state = { sample: 'cat', ratio: 60, seed: 12345, model: 'mae-small' };
    expect(formatUrlState(state)).toBe('?sample=cat&ratio=60&seed=12345&model=mae-small');
    expect(parseUrlState(formatUrlState(state))).toEqual(state);
  });

  it('drops values outside their ranges or with odd characters', () => {
    expect(parseUrlState('?ratio=96&seed=-1&sample=../x&model=a%20b')).toEqual({});
    expect(parseUrlState('?ratio=7.5&seed=4294967296')).toEqual({});
    expect(parseUrlState('?ratio=0&seed=4294967295')).toEqual({ ratio: 0, seed: 4294967295 });
  });

  it('round-trips a model from a URL or the Hugging Face Hub, and drops other schemes', () => {
    for (const model of ['https://cdn.example/m/config.json?v=2', 'hf:meta/mae-base@main']) {
      expect(parseUrlState(formatUrlState({ model }))).toEqual({ model });
    }
    expect(parseUrlState(`?model=${encodeURIComponent('javascript:alert(1)')}`)).toEqual({});
  });

  it('keeps an execution provider override, and leaves auto out', () => {
    expect(parseUrlState('?ep=webgpu')).toEqual({ ep: 'webgpu' });
    expect(parseUrlState('?ep=cuda')).toEqual({});
    expect(formatUrlState({ ep: 'auto' })).toBe('');
    expect(formatUrlState({ ep: 'wasm' })).toBe('?ep=wasm');
  });

  it('writes nothing for an empty state', () => {
    expect(formatUrlState({})).toBe('');
  });
});
