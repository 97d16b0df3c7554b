/**
 * `npm run bench -- --quick` end to end, as CI runs it, so the benchmark cannot rot: it must
 * finish, exit 0, print its JSON and write both files with every field positive where measured.
 * Uses models/mae-small, or the fixture model from `npm run fixtures` when that is absent.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BenchResult, RuntimeRun } from '../../src/bench/report';
import { CHROMIUM } from '../../src/cli/chromium';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Every number in `value` (recursively) is finite and > 0. */
function expectPositiveNumbers(value: unknown, path: string) {
  if (typeof value === 'number') {
    expect(Number.isFinite(value) && value > 0, `${path} = ${value}`).toBe(true);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) expectPositiveNumbers(inner, `${path}.${key}`);
  }
}

describe('npm run bench -- --quick', () => {
  let out: string;
  let result: BenchResult;
  let stdoutJson: unknown;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'mae-bench-'));
    const { stdout } = await promisify(execFile)(
      'npx',
      ['--no-install', 'tsx', 'src/cli/main.ts', 'bench', '--quick', '--json', '--out', out],
      { cwd: repoRoot, maxBuffer: 1 << 24 },
    );
    stdoutJson = JSON.parse(stdout.trim().split('\n').pop()!);
    result = JSON.parse(await readFile(join(out, 'performance.json'), 'utf8')) as BenchResult;
  }, 240_000);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('prints the JSON it writes and describes the machine', () => {
    expect(stdoutJson).toEqual(result);
    expect(result.format).toBe('mae-lens-bench/1');
    expect(result.mode).toBe('quick');
    expect(result.machine.cpu).not.toBe('');
    expect(result.machine.cores).toBe(availableParallelism());
    // The flags that pick onnxruntime's int8 kernel, each one /proc/cpuinfo really lists.
    const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    for (const feature of result.machine.cpu_features) {
      expect(['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni']).toContain(feature);
      expect(cpuinfo).toMatch(new RegExp(`^flags\\s*:.* ${feature}( |$)`, 'm'));
    }
    expect(result.machine.onnxruntime_node).toMatch(/^\d+\.\d+/);
    expect(result.settings.iterations).toBeGreaterThan(0);
    expect(result.duration_s).toBeGreaterThan(0);
    expect(result.failures).toEqual([]);
  });

  it('times onnxruntime-node on 1 and all threads, with positive numbers throughout', () => {
    expect(result.models).toHaveLength(1);
    const [model] = result.models;
    expect(model!.role).toBe('bundled');
    expectPositiveNumbers(model!.flops, 'flops');
    expect(model!.visible_patches).toBe(Math.trunc(model!.num_patches * 0.25));
    const node = model!.runs.filter((r) => r.runtime === 'onnxruntime-node');
    expect(node.map((r) => r.threads)).toEqual([...new Set([1, availableParallelism()])]);
    for (const run of node) {
      expect(run.status).toBe('ok');
      expect(run.timing?.runs).toBe(result.settings.iterations);
      expectPositiveNumbers(run.timing, 'timing');
      expectPositiveNumbers(run.gflop_per_s, 'gflop_per_s');
    }
    expectPositiveNumbers(model!.encoder_patches, 'encoder_patches');
    expectPositiveNumbers(model!.extra_outputs, 'extra_outputs');
  });

  it('times PyTorch on the same weights, or says why not', () => {
    const torch = result.models[0]!.runs.filter((r) => r.runtime === 'pytorch-eager');
    expect(torch.length).toBeGreaterThan(0);
    for (const run of torch) {
      if (run.status === 'skipped') {
        expect(run.reason).toMatch(/PyTorch is not available|ENOENT/);
        continue;
      }
      expect(run.status).toBe('ok');
      expectPositiveNumbers(run.timing, 'timing');
      expect(run.max_abs_diff_vs_onnxruntime).toBeLessThan(1e-4);
    }
  });

  it.runIf(existsSync(CHROMIUM))('times Chromium WASM and the slider, and computes the ratios', () => {
    const wasm = result.models[0]!.runs.filter((r: RuntimeRun) => r.runtime === 'chromium-wasm');
    expect(wasm.map((r) => r.threads)).toEqual([...new Set([1, result.machine.cores])]);
    for (const run of wasm) {
      expect(run.status, run.reason).toBe('ok');
      expectPositiveNumbers(run.timing, 'timing');
      expectPositiveNumbers(run.load_ms, 'load_ms');
    }
    expect(result.machine.chromium).toMatch(/^\d+\./);
    expect(result.models[0]!.runs.some((r) => r.runtime === 'chromium-webgpu')).toBe(true);
    expect(result.slider.status, result.slider.reason).toBe('ok');
    expect(result.slider.p95_ms!).toBeGreaterThanOrEqual(result.slider.p50_ms!);
    expectPositiveNumbers(result.slider, 'slider');
    expect(result.ratios.some((r) => r.name.startsWith('WASM'))).toBe(true);
    for (const ratio of result.ratios) expectPositiveNumbers(ratio.value, ratio.name);
  });

  it('writes PERFORMANCE.md with its tables', async () => {
    const markdown = await readFile(join(out, 'PERFORMANCE.md'), 'utf8');
    for (const heading of [
      '## Machine',
      '## End-to-end reconstruction',
      '## Models and FLOPs',
      '## Ratios',
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain(result.models[0]!.id);
  });
});
