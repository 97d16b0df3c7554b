/**
 * The encoder and decoder sessions of one model (docs/model-format.md), independent of which
 * onnxruntime package provides them: onnxruntime-web in the worker, onnxruntime-node in tests.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { patchDim, type ModelConfig } from '../mae/config';

/** The part of an onnxruntime module this file uses. */
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  Tensor: new (
    type: 'float32' | 'int64',
    data: Float32Array | BigInt64Array,
    dims: readonly number[],
  ) => Tensor;
}

export interface EncoderDecoderOutput {
  /** [N, P*P*3] normalised space (or per-patch normalised with norm_pix_loss). */
  pred: Float32Array;
  encoderMs: number;
  decoderMs: number;
}

function int64(ids: Int32Array): BigInt64Array {
  return BigInt64Array.from(ids, (id) => BigInt(id));
}

export class EncoderDecoderSessions {
  private constructor(
    private readonly ort: OrtModule,
    private readonly config: ModelConfig,
    private readonly encoder: InferenceSession,
    private readonly decoder: InferenceSession,
  ) {}

  static async create(
    ort: OrtModule,
    config: ModelConfig,
    encoderBytes: ArrayBuffer,
    decoderBytes: ArrayBuffer,
    options: InferenceSession.SessionOptions,
  ): Promise<EncoderDecoderSessions> {
    const encoder = await ort.InferenceSession.create(new Uint8Array(encoderBytes), options);
    try {
      const decoder = await ort.InferenceSession.create(new Uint8Array(decoderBytes), options);
      return new EncoderDecoderSessions(ort, config, encoder, decoder);
    } catch (error) {
      await encoder.release();
      throw error;
    }
  }

  /**
   * visiblePatches `[K, P*P*3]` in idsKeep order, idsKeep `[K]`, idsRestore `[N]` (batch of 1).
   * Only `latent` and `pred` are fetched: the attention maps stay inside ORT.
   */
  async run(
    visiblePatches: Float32Array,
    idsKeep: Int32Array,
    idsRestore: Int32Array,
  ): Promise<EncoderDecoderOutput> {
    const { Tensor } = this.ort;
    const dim = patchDim(this.config);
    const visible = idsKeep.length;
    const encoderStart = performance.now();
    const encoded = await this.encoder.run(
      {
        visible_patches: new Tensor('float32', visiblePatches, [1, visible, dim]), // [1, K, P*P*3]
        ids_keep: new Tensor('int64', int64(idsKeep), [1, visible]), // [1, K]
      },
      ['latent'],
    );
    const latent = encoded.latent!; // [1, K+1, D]
    const decoderStart = performance.now();
    const decoded = await this.decoder.run(
      { latent, ids_restore: new Tensor('int64', int64(idsRestore), [1, idsRestore.length]) }, // [1, N]
      ['pred'],
    );
    const predTensor = decoded.pred!; // [1, N, P*P*3]
    const pred = (await predTensor.getData()) as Float32Array;
    const end = performance.now();
    latent.dispose();
    predTensor.dispose();
    return { pred, encoderMs: decoderStart - encoderStart, decoderMs: end - decoderStart };
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder.release(), this.decoder.release()]);
  }
}
