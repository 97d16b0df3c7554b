/**
 * The page's worker, the bench and the CLI run one pass (reconstruct.ts), and an image is
 * prepared once however often its mask changes. Both are checked through shared spies on the
 * modules themselves, so a second copy of the pass or of the preprocessing would fail here.
 */
import { describe, expect, it, vi } from 'vitest';

import { fixtureHandler, referenceImageRgba } from '../../tests/helpers/fixtureModel';
import { syntheticPhoto, timedReconstruction } from '../bench/workload';
import { loadNodeModel } from '../cli/model';
import { resizeShorterSideAndCenterCrop } from '../mae/image';
import * as pipeline from '../mae/pipeline';
import type { ReconstructRequest } from './protocol';
import * as pass from './reconstruct';

vi.mock('./reconstruct', async (importOriginal) => {
  const real = await importOriginal<typeof pass>();
  return { ...real, reconstruct: vi.fn(real.reconstruct) };
});
vi.mock('../mae/pipeline', async (importOriginal) => {
  const real = await importOriginal<typeof pipeline>();
  return { ...real, preparePixels: vi.fn(real.preparePixels) };
});

const request = (id: number, imageVersion: number, image: ReconstructRequest['image'], seed: number) =>
  ({
    type: 'reconstruct',
    id,
    imageVersion,
    image,
    mask: { mode: 'random', ratio: 0.75, seed },
    intermediates: false,
    normPixStatistics: 'patch',
  }) as const;

describe('one reconstruction pass', () => {
  it('is what the worker handler and the bench both call', async () => {
    const spy = vi.mocked(pass.reconstruct);
    const { config, handle } = await fixtureHandler();
    const image = resizeShorterSideAndCenterCrop(referenceImageRgba(), config.imageSize);
    spy.mockClear();
    expect((await handle(request(1, 1, image, 0))).status).toBe('reconstructed');
    expect(spy).toHaveBeenCalledTimes(1);

    const model = await loadNodeModel('tests/fixtures/onnx/official', 1);
    try {
      const times = await timedReconstruction(model.runner, model.config, syntheticPhoto(), 0.75, 0);
      expect(spy).toHaveBeenCalledTimes(2);
      const benchRun = await spy.mock.results[1]!.value;
      expect(times.encoderMs).toBe(benchRun.encoderMs);
    } finally {
      await model.release();
    }
  }, 60_000);

  it('prepares an image once: mask changes reuse it, a new image is prepared again', async () => {
    const prepare = vi.mocked(pipeline.preparePixels);
    const { config, handle } = await fixtureHandler();
    const image = resizeShorterSideAndCenterCrop(referenceImageRgba(), config.imageSize);
    prepare.mockClear();
    const masks = [];
    for (const [id, seed] of [1, 2, 3, 4].entries()) {
      const reply = await handle(request(id, 7, id === 0 ? image : null, seed));
      if (reply.status !== 'reconstructed') throw new Error(JSON.stringify(reply));
      masks.push(reply.result.mask.join(''));
    }
    expect(prepare).toHaveBeenCalledTimes(1);
    expect(new Set(masks).size).toBe(4);
    expect((await handle(request(9, 8, image, 0))).status).toBe('reconstructed');
    expect(prepare).toHaveBeenCalledTimes(2);
    // A version the worker does not hold, without pixels, is refused rather than run on the wrong picture.
    expect(await handle(request(10, 7, null, 0))).toMatchObject({ status: 'error' });
  }, 60_000);
});
