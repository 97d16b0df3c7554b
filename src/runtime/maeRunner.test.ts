import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import ortNode from 'onnxruntime-node';
import type * as OrtWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';

import { expectClose } from '../../tests/helpers/arrays';
import { asFloat32, asIndices, loadReference } from '../../tests/helpers/fixture';
import { type ModelConfig, parseModelConfig } from '../mae/config';
import { maskFromKeptPatches } from '../mae/masking';
import { gatherRows } from '../mae/patches';
import {
  type MaeModelBytes,
  MaeRunner,
  MaeRunnerError,
  type OrtFeeds,
  type OrtModuleLike,
  type OrtSessionLike,
  type OrtTensorLike,
} from './maeRunner';

// Both real runtimes fit the structural interface (checked by tsc).
const nodeModule: OrtModuleLike<ortNode.InferenceSession.SessionOptions> = ortNode;
/** tsc fails here if onnxruntime-web stops fitting the interface (the worker passes it in). */
export const asWebModule = (ort: typeof OrtWeb): OrtModuleLike<OrtWeb.InferenceSession.SessionOptions> => ort;

const geometry = { numPatches: 4, patchSize: 1 }; // dim = 3

/** A fake ORT that records calls; the encoder returns K+1 rows of width 2, the decoder N rows. */
function fakeOrt(options: { attentions?: boolean; failDecoder?: boolean; runDelayMs?: number } = {}) {
  const log: string[] = [];
  const feeds: OrtFeeds[] = [];
  let running = 0;
  class Tensor implements OrtTensorLike {
    constructor(
      readonly type: string,
      readonly data: Float32Array | BigInt64Array,
      readonly dims: readonly number[],
    ) {}
  }
  function session(name: string, inputs: string[], outputs: string[]): OrtSessionLike {
    return {
      inputNames: inputs,
      outputNames: outputs,
      async run(given, fetches) {
        running++;
        if (running > 1) log.push('concurrent run!');
        feeds.push(given);
        log.push(`${name}.run(${fetches.join(',')})`);
        await new Promise((resolve) => setTimeout(resolve, options.runDelayMs ?? 0));
        running--;
        const rows = name === 'encoder' ? given.visible_patches!.dims[1]! + 1 : 4;
        const result: Record<string, OrtTensorLike> = {};
        for (const output of fetches)
          result[output] = new Tensor('float32', new Float32Array(rows * 3), [1, rows, 3]);
        return result;
      },
      async release() {
        log.push(`${name}.release`);
      },
    };
  }
  const ort = {
    Tensor: Tensor as unknown as OrtModuleLike['Tensor'],
    InferenceSession: {
      async create(
        model: Uint8Array,
        sessionOptions?: { externalData?: { path: string; data: Uint8Array }[] },
      ) {
        const name = new TextDecoder().decode(model);
        const weights = sessionOptions?.externalData?.map(
          (e) => `${e.path}=${new TextDecoder().decode(e.data)}`,
        );
        log.push(weights ? `create ${name} with ${weights.join()}` : `create ${name}`);
        if (name.endsWith('-lean')) {
          return name === 'encoder-lean'
            ? session('encoder', ['visible_patches', 'ids_keep'], ['latent'])
            : session('decoder', ['latent', 'ids_restore'], ['pred']);
        }
        if (name === 'decoder' && options.failDecoder) throw new Error('bad decoder');
        return name === 'encoder'
          ? session(
              'encoder',
              ['visible_patches', 'ids_keep'],
              options.attentions ? ['latent', 'attentions'] : ['latent'],
            )
          : session('decoder', ['latent', 'ids_restore'], ['pred', 'pred_per_layer']);
      },
    },
  };
  const bytes = {
    encoder: new TextEncoder().encode('encoder'),
    decoder: new TextEncoder().encode('decoder'),
  };
  return { ort, bytes, log, feeds };
}

describe('MaeRunner with a fake runtime', () => {
  it('feeds the contract tensors and fetches only latent and pred by default', async () => {
    const { ort, bytes, log, feeds } = fakeOrt({ runDelayMs: 20 });
    const runner = await MaeRunner.create(ort, bytes, geometry);
    const result = await runner.run({
      visiblePatches: Float32Array.from([1, 2, 3, 4, 5, 6]),
      idsKeep: [3, 1],
      idsRestore: [2, 1, 3, 0],
    });
    expect(log).toEqual(['create encoder', 'create decoder', 'encoder.run(latent)', 'decoder.run(pred)']);
    const [encoderFeeds, decoderFeeds] = feeds;
    expect(encoderFeeds!.visible_patches!.dims).toEqual([1, 2, 3]);
    expect(encoderFeeds!.ids_keep!.type).toBe('int64');
    expect(Array.from(encoderFeeds!.ids_keep!.data as BigInt64Array)).toEqual([3n, 1n]);
    expect(decoderFeeds!.ids_restore!.dims).toEqual([1, 4]);
    expect(result.latentDims).toEqual([1, 3, 3]);
    expect(result.pred).toHaveLength(12);
    expect(result.attentions).toBeUndefined();
    expect(result.predPerLayer).toBeUndefined();
    // Each session's own run time is attributed to it (the fake sleeps 20 ms in every run).
    expect(result.encoderMs).toBeGreaterThanOrEqual(19);
    expect(result.decoderMs).toBeGreaterThanOrEqual(19);
  });

  it('fetches attentions and per-layer predictions only when asked, if the graphs have them', async () => {
    const { ort, bytes, log } = fakeOrt({ attentions: true });
    const runner = await MaeRunner.create(ort, bytes, geometry);
    const request = { visiblePatches: new Float32Array(3), idsKeep: [0], idsRestore: [0, 1, 2, 3] };
    const result = await runner.run({ ...request, attentions: true, predPerLayer: true });
    expect(log.slice(-2)).toEqual(['encoder.run(latent,attentions)', 'decoder.run(pred,pred_per_layer)']);
    expect(result.attentions?.dims).toEqual([1, 2, 3]);
    expect(result.predPerLayer?.dims).toEqual([1, 4, 3]);

    const plain = await MaeRunner.create(fakeOrt().ort, bytes, geometry);
    await expect(plain.run({ ...request, attentions: true })).rejects.toThrow(
      /encoder.onnx output has no attentions/,
    );
  });

  it('turns off intra-op thread spinning unless the caller says otherwise, keeping its options', async () => {
    const { ort, bytes } = fakeOrt();
    const seen: unknown[] = [];
    const create = ort.InferenceSession.create;
    ort.InferenceSession.create = (model, sessionOptions) => {
      seen.push(sessionOptions);
      return create(model, sessionOptions);
    };
    await MaeRunner.create(ort as OrtModuleLike<object>, bytes, geometry, { intraOpNumThreads: 2 });
    await MaeRunner.create(ort as OrtModuleLike<object>, bytes, geometry, {
      extra: { 'session.intra_op.allow_spinning': '1', other: 'x' },
    });
    expect(seen).toEqual([
      { intraOpNumThreads: 2, extra: { 'session.intra_op.allow_spinning': '0' } },
      { intraOpNumThreads: 2, extra: { 'session.intra_op.allow_spinning': '0' } },
      { extra: { 'session.intra_op.allow_spinning': '1', other: 'x' } },
      { extra: { 'session.intra_op.allow_spinning': '1', other: 'x' } },
    ]);
  });

  it('runs plain requests on the lean graphs and creates the full ones once, when first needed', async () => {
    const { ort, bytes, log } = fakeOrt({ attentions: true });
    const lean = {
      encoder: new TextEncoder().encode('encoder-lean'),
      decoder: new TextEncoder().encode('decoder-lean'),
      encoderPath: 'encoder.onnx',
      decoderPath: 'decoder.onnx',
    };
    const runner = await MaeRunner.create(ort, { ...bytes, lean }, geometry);
    expect(log).toEqual([
      'create encoder-lean with encoder.onnx=encoder',
      'create decoder-lean with decoder.onnx=decoder',
    ]);
    const request = { visiblePatches: new Float32Array(3), idsKeep: [0], idsRestore: [0, 1, 2, 3] };
    await runner.run(request);
    await runner.run({ ...request, attentions: true });
    await runner.run({ ...request, predPerLayer: true });
    await runner.run(request);
    expect(log.slice(2)).toEqual([
      'encoder.run(latent)',
      'decoder.run(pred)',
      'create encoder',
      'create decoder',
      'encoder.run(latent,attentions)',
      'decoder.run(pred)',
      'encoder.run(latent)',
      'decoder.run(pred,pred_per_layer)',
      'encoder.run(latent)',
      'decoder.run(pred)',
    ]);
    await runner.dispose();
    expect(log.filter((line) => line.endsWith('.release'))).toHaveLength(4);
  });

  it('runs with no visible patch (K = 0)', async () => {
    const { ort, bytes, feeds } = fakeOrt();
    const runner = await MaeRunner.create(ort, bytes, geometry);
    const result = await runner.run({
      visiblePatches: new Float32Array(0),
      idsKeep: [],
      idsRestore: [0, 1, 2, 3],
    });
    expect(feeds[0]!.visible_patches!.dims).toEqual([1, 0, 3]);
    expect(feeds[0]!.ids_keep!.dims).toEqual([1, 0]);
    expect(result.latentDims).toEqual([1, 1, 3]);
  });

  it('rejects inconsistent requests before running anything', async () => {
    const { ort, bytes, log } = fakeOrt();
    const runner = await MaeRunner.create(ort, bytes, geometry);
    const idsRestore = [0, 1, 2, 3];
    await expect(
      runner.run({ visiblePatches: new Float32Array(4), idsKeep: [0], idsRestore }),
    ).rejects.toThrow(/expected K\*P\*P\*3 = 3/);
    await expect(
      runner.run({ visiblePatches: new Float32Array(3), idsKeep: [4], idsRestore }),
    ).rejects.toThrow(/idsKeep\[0\] = 4 is outside \[0, 4\)/);
    await expect(
      runner.run({ visiblePatches: new Float32Array(3), idsKeep: [0], idsRestore: [0, 1] }),
    ).rejects.toThrow(MaeRunnerError);
    expect(log.filter((line) => line.includes('.run'))).toEqual([]);
  });

  it('queues runs one at a time, then dispose releases both sessions once', async () => {
    const { ort, bytes, log } = fakeOrt({ runDelayMs: 5 });
    const runner = await MaeRunner.create(ort, bytes, geometry);
    const request = { visiblePatches: new Float32Array(3), idsKeep: [2], idsRestore: [1, 2, 0, 3] };
    const runs = [runner.run(request), runner.run(request), runner.run(request)];
    const disposed = runner.dispose();
    await expect(runner.run(request)).rejects.toThrow(/disposed/);
    await Promise.all([...runs, disposed, runner.dispose()]);
    expect(log).not.toContain('concurrent run!');
    expect(log.filter((line) => line.endsWith('.run(pred)'))).toHaveLength(3);
    expect(log.slice(-2).sort()).toEqual(['decoder.release', 'encoder.release']);
    expect(log.filter((line) => line.endsWith('.release'))).toHaveLength(2);
  });

  it('releases the encoder when the decoder cannot be created', async () => {
    const { ort, bytes, log } = fakeOrt({ failDecoder: true });
    await expect(MaeRunner.create(ort, bytes, geometry)).rejects.toThrow('bad decoder');
    expect(log).toContain('encoder.release');
  });

  it('rejects graphs that do not follow the contract', async () => {
    const { ort, log } = fakeOrt();
    const swapped = {
      encoder: new TextEncoder().encode('decoder'),
      decoder: new TextEncoder().encode('encoder'),
    };
    await expect(MaeRunner.create(ort, swapped, geometry)).rejects.toThrow(
      /encoder.onnx input has no visible_patches, ids_keep \(it has latent, ids_restore\)/,
    );
    expect(log.filter((line) => line.endsWith('.release'))).toHaveLength(2);
  });
});

// The fixture checkpoint exported to ONNX by `npm run fixtures` (scripts/build_test_models.py).
const onnxDir = fileURLToPath(new URL('../../tests/fixtures/onnx/official/', import.meta.url));

/** The full graphs and, as the app loads them, the lean ones reading their weights. */
function readModel(): { config: ModelConfig; model: MaeModelBytes } {
  const config = parseModelConfig(JSON.parse(readFileSync(onnxDir + 'config.json', 'utf8')));
  const { encoder, decoder, encoderLean, decoderLean } = config.files;
  if (!encoderLean || !decoderLean) throw new Error('the fixture export has no lean graphs');
  const model = {
    encoder: readFileSync(onnxDir + encoder.path),
    decoder: readFileSync(onnxDir + decoder.path),
    lean: {
      encoder: readFileSync(onnxDir + encoderLean.path),
      decoder: readFileSync(onnxDir + decoderLean.path),
      encoderPath: encoder.path,
      decoderPath: decoder.path,
    },
  };
  return { config, model };
}

describe('MaeRunner on the tiny fixture model', () => {
  async function createRunner() {
    const { config, model } = readModel();
    return { config, runner: await MaeRunner.create(nodeModule, model, config, { intraOpNumThreads: 1 }) };
  }

  it('reproduces the upstream latent and pred for case r75', async () => {
    const { runner } = await createRunner();
    const result = await runner.run({
      visiblePatches: asFloat32(loadReference('r75_visible_patches.npy')),
      idsKeep: asIndices(loadReference('r75_ids_keep.npy')),
      idsRestore: asIndices(loadReference('r75_ids_restore.npy')),
      attentions: true,
      predPerLayer: true,
    });
    expect(result.latentDims).toEqual([1, 50, 192]);
    expectClose(result.latent, asFloat32(loadReference('r75_latent.npy')), 1e-4);
    expectClose(result.pred, asFloat32(loadReference('r75_pred.npy')), 1e-4);
    expect(result.attentions?.dims).toEqual([1, 3, 3, 50, 50]);
    expect(result.predPerLayer?.dims).toEqual([1, 2, 196, 768]);
    // The last decoder block's prediction is `pred`.
    expectClose(result.predPerLayer!.data.subarray(196 * 768), result.pred, 1e-5);
    await runner.dispose();
  });

  it('gives the same result through onnxruntime-web/wasm, the entry the app uses', async () => {
    const ortWeb = await import('onnxruntime-web/wasm');
    ortWeb.env.wasm.numThreads = 1;
    const { config, model } = readModel();
    const runner = await MaeRunner.create(ortWeb, model, config);
    const result = await runner.run({
      visiblePatches: asFloat32(loadReference('r75_visible_patches.npy')),
      idsKeep: asIndices(loadReference('r75_ids_keep.npy')),
      idsRestore: asIndices(loadReference('r75_ids_restore.npy')),
    });
    expectClose(result.pred, asFloat32(loadReference('r75_pred.npy')), 1e-4);
    const withExtras = await runner.run({
      visiblePatches: asFloat32(loadReference('r75_visible_patches.npy')),
      idsKeep: asIndices(loadReference('r75_ids_keep.npy')),
      idsRestore: asIndices(loadReference('r75_ids_restore.npy')),
      attentions: true,
      predPerLayer: true,
    });
    expectClose(withExtras.pred, result.pred, 1e-5);
    await runner.dispose();
  });

  it('runs with every patch removed (K = 0) and with none removed (K = N)', async () => {
    const { config, runner } = await createRunner();
    const patches = asFloat32(loadReference('target_patchified.npy'));
    for (const kept of [false, true]) {
      const masking = maskFromKeptPatches(
        new Array<boolean>(config.numPatches).fill(kept),
        config.numPatches,
      );
      const result = await runner.run({
        visiblePatches: gatherRows(patches, 768, masking.idsKeep),
        idsKeep: masking.idsKeep,
        idsRestore: masking.idsRestore,
      });
      expect(result.latentDims).toEqual([1, masking.idsKeep.length + 1, 192]);
      expect(result.pred).toHaveLength(196 * 768);
      expect(result.pred.every(Number.isFinite)).toBe(true);
    }
    await runner.dispose();
  });
});
