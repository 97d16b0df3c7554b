import { describe, expect, it } from 'vitest';
import type { TimingSummary } from '../../bench/workload';
import {
  computeRatios,
  renderMarkdown,
  type BenchResult,
  type ModelReport,
  type SliderReport,
} from './report';

function timing(total: number, model: number): TimingSummary {
  return {
    runs: 11,
    total_ms: total,
    pre_ms: 1,
    encoder_ms: model / 2,
    decoder_ms: model / 2,
    post_ms: 1,
    model_ms: model,
    total_min_ms: total,
    total_max_ms: total,
  };
}

function model(
  id: string,
  role: ModelReport['role'],
  wasm2: number,
  node2: number,
  torch1: number,
): ModelReport {
  return {
    id,
    folder: `models/${id}`,
    name: id,
    role,
    parameters: 1e6,
    bytes: 4e6,
    image_size: 224,
    patch_size: 16,
    num_patches: 196,
    visible_patches: 49,
    flops: { encoder_visible: 1e9, encoder_all: 4e9, decoder: 1e9, total: 2e9 },
    runs: [
      { runtime: 'chromium-wasm', threads: 2, status: 'ok', timing: timing(wasm2, wasm2 - 2) },
      { runtime: 'onnxruntime-node', threads: 2, status: 'ok', timing: timing(node2, node2 - 2) },
      { runtime: 'onnxruntime-node', threads: 1, status: 'failed', reason: 'broke' },
      { runtime: 'pytorch-eager', threads: 1, status: 'ok', timing: timing(torch1, torch1) },
    ],
  };
}

const slider: SliderReport = {
  status: 'ok',
  model: 'mae-small',
  moves: 30,
  p50_ms: 40,
  p95_ms: 120,
  how: 'test',
};

describe('computeRatios', () => {
  const models = [model('mae-small', 'bundled', 22, 12, 10), model('random-base', 'random', 452, 252, 225)];
  const ratios = computeRatios(models, 2, slider);
  const find = (id: string, start: string) => ratios.find((r) => r.model === id && r.name.startsWith(start));

  it('divides WASM by onnxruntime-node on the same threads, with the 1.8x target at base size only', () => {
    expect(find('random-base', 'WASM 2T / onnxruntime-node 2T')).toMatchObject({
      value: 1.794,
      target: 1.8,
      met: true,
    });
    expect(find('mae-small', 'WASM 2T / onnxruntime-node 2T')?.target).toBeUndefined();
    // The 1-thread node run failed: no ratio rather than a wrong one.
    expect(find('random-base', 'WASM 1T')).toBeUndefined();
  });

  it('compares WASM with PyTorch on encoder + decoder time, its scope', () => {
    expect(find('random-base', 'WASM 2T / PyTorch eager 1T')).toMatchObject({
      value: 2,
      target: 1,
      met: false,
    });
  });

  it("checks the bundled model's end-to-end time and the slider's p95 against their targets", () => {
    expect(find('mae-small', 'WASM 2T end to end')).toMatchObject({ value: 22, target: 25, met: true });
    expect(find('mae-small', 'slider')).toMatchObject({ value: 120, target: 100, met: false });
    expect(find('random-base', 'WASM 2T end to end')).toBeUndefined();
  });

  it('renders every model, ratio and failure into the Markdown report', () => {
    const result: BenchResult = {
      format: 'mae-lens-bench/1',
      date: '2026-11-27T13:30:00.000Z',
      mode: 'full',
      duration_s: 300,
      machine: {
        cpu: 'Test CPU',
        cores: 2,
        memory_gib: 8,
        os: 'Test OS',
        node: 'v20',
        onnxruntime_node: '1.30.0',
        onnxruntime_web: '1.30.0',
        chromium: '156',
        webgpu_adapter: null,
        torch: '1.13',
        load_average: [0.1, 0.2, 0.3],
      },
      settings: { mask_ratio: 0.75, warmup: 3, iterations: 11, input: 'test image' },
      models,
      ratios,
      slider,
      skipped: [],
      failures: ['random-base onnxruntime-node: broke'],
    };
    const markdown = renderMarkdown(result);
    expect(markdown).toContain('| random-base | Chromium, onnxruntime-web WASM | 2 | **452.0** |');
    expect(markdown).toContain('| random-base | onnxruntime-node (CPU) | 1 | failed: broke |');
    expect(markdown).toContain('p50 40.0 ms, p95 120.0 ms');
    expect(markdown).toContain('## Failed');
  });
});
