/**
 * Runs the two graphs of docs/model-format.md with whichever onnxruntime the caller passes in:
 * `onnxruntime-web` (worker) or `onnxruntime-node` (CLI, tests). Both expose the same
 * InferenceSession / Tensor API, described structurally below so this file imports neither and
 * uses no DOM API.
 */
import { type ModelConfig, patchDim } from '../mae/config';

/** The part of an ORT tensor the runner reads. */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

export type OrtFeeds = Record<string, OrtTensorLike>;

/** The part of an ORT InferenceSession the runner uses. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: OrtFeeds, fetches: readonly string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** What `import * as ort from 'onnxruntime-web' | 'onnxruntime-node'` provides and we need. */
export interface OrtModuleLike<SessionOptions = never> {
  InferenceSession: {
    create(model: Uint8Array, options?: SessionOptions): Promise<OrtSessionLike>;
  };
  Tensor: {
    new (type: 'float32', data: Float32Array, dims: readonly number[]): OrtTensorLike;
    new (type: 'int64', data: BigInt64Array, dims: readonly number[]): OrtTensorLike;
  };
}

export interface MaeModelBytes {
  /** The contract's graphs, with every output (docs/model-format.md). */
  encoder: Uint8Array;
  decoder: Uint8Array;
  /**
   * Optional lean graphs computing only latent / pred. They hold no weights: their initializers
   * are ONNX external data pointing into the full graphs' bytes, under the full graphs' file
   * names. onnxruntime runs every node whatever is fetched, so plain runs use these.
   */
  lean?: { encoder: Uint8Array; decoder: Uint8Array; encoderPath: string; decoderPath: string };
}

export interface MaeRunRequest {
  /** `[K, P*P*3]` normalised pixels of the kept patches, in idsKeep order. */
  visiblePatches: Float32Array;
  /** `[K]` patch index of each row; K may be 0. */
  idsKeep: ArrayLike<number>;
  /** `[N]` argsort(idsShuffle). */
  idsRestore: ArrayLike<number>;
  /** Also fetch the encoder's attention maps (costly: L*H*(K+1)^2 floats). */
  attentions?: boolean;
  /** Also fetch every decoder block's prediction. */
  predPerLayer?: boolean;
}

export interface MaeRunResult {
  /** `[1, K+1, D]` row 0 = cls. */
  latent: Float32Array;
  latentDims: number[];
  /** `[1, N, P*P*3]` normalised patches in patch order. */
  pred: Float32Array;
  /** `[1, L, H, K+1, K+1]`, only when asked for. */
  attentions?: { data: Float32Array; dims: number[] };
  /** `[1, Ld, N, P*P*3]`, only when asked for. */
  predPerLayer?: { data: Float32Array; dims: number[] };
  encoderMs: number;
  decoderMs: number;
}

/**
 * onnxruntime's intra-op threads spin after each op, waiting for more work. On a machine with few
 * cores that takes the cores our own pre/post-processing and everything else need (measured in
 * docs/PERFORMANCE.md, Notes: thread spinning). A caller's own `extra` entries win. Both
 * onnxruntime-web and -node take config entries as `extra` (the options type is theirs).
 */
function withoutSpinning<SessionOptions>(options: SessionOptions | undefined): SessionOptions {
  const given = options as { extra?: Record<string, unknown> } | undefined;
  return {
    ...given,
    extra: { 'session.intra_op.allow_spinning': '0', ...given?.extra },
  } as SessionOptions;
}

export class MaeRunnerError extends Error {
  override name = 'MaeRunnerError';
}

const ENCODER_INPUTS = ['visible_patches', 'ids_keep'];
const DECODER_INPUTS = ['latent', 'ids_restore'];

function requireNames(kind: string, have: readonly string[], need: readonly string[]): void {
  const missing = need.filter((name) => !have.includes(name));
  if (missing.length > 0) {
    throw new MaeRunnerError(`${kind} has no ${missing.join(', ')} (it has ${have.join(', ') || 'none'})`);
  }
}

function toInt64(ids: ArrayLike<number>, limit: number, what: string): BigInt64Array {
  const out = new BigInt64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= limit) {
      throw new MaeRunnerError(`${what}[${i}] = ${id} is outside [0, ${limit})`);
    }
    out[i] = BigInt(id);
  }
  return out;
}

function float32Output(
  outputs: Record<string, OrtTensorLike>,
  name: string,
): { data: Float32Array; dims: number[] } {
  const tensor = outputs[name];
  if (!tensor || !(tensor.data instanceof Float32Array)) {
    throw new MaeRunnerError(`output ${name} is missing or not float32`);
  }
  return { data: tensor.data, dims: [...tensor.dims] };
}

interface SessionPair {
  encoder: OrtSessionLike;
  decoder: OrtSessionLike;
}

async function createPair<SessionOptions>(
  ort: OrtModuleLike<SessionOptions>,
  encoderBytes: Uint8Array,
  decoderBytes: Uint8Array,
  encoderOptions: SessionOptions | undefined,
  decoderOptions: SessionOptions | undefined,
  outputs: { encoder: string[]; decoder: string[] },
): Promise<SessionPair> {
  const encoder = await ort.InferenceSession.create(encoderBytes, encoderOptions);
  let decoder: OrtSessionLike;
  try {
    decoder = await ort.InferenceSession.create(decoderBytes, decoderOptions);
  } catch (error) {
    await encoder.release();
    throw error;
  }
  try {
    requireNames('encoder.onnx input', encoder.inputNames, ENCODER_INPUTS);
    requireNames('encoder.onnx output', encoder.outputNames, outputs.encoder);
    requireNames('decoder.onnx input', decoder.inputNames, DECODER_INPUTS);
    requireNames('decoder.onnx output', decoder.outputNames, outputs.decoder);
  } catch (error) {
    await Promise.all([encoder.release(), decoder.release()]);
    throw error;
  }
  return { encoder, decoder };
}

export class MaeRunner {
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private full: Promise<SessionPair> | undefined;

  private constructor(
    private readonly Tensor: OrtModuleLike['Tensor'],
    /** Sessions for plain runs (the lean graphs when the model has them). */
    private readonly fast: SessionPair,
    /** Creates the sessions with every output, on the first run that asks for one. */
    private readonly createFull: () => Promise<SessionPair>,
    /** N */
    readonly numPatches: number,
    /** P*P*3 */
    readonly patchDim: number,
  ) {}

  /**
   * Creates the sessions from the model bytes. `config` supplies N and P (from config.json);
   * `sessionOptions` go to InferenceSession.create (execution providers, threads). With lean
   * graphs, the full ones are only created when attentions or per-layer predictions are asked for.
   */
  static async create<SessionOptions>(
    ort: OrtModuleLike<SessionOptions>,
    model: MaeModelBytes,
    config: Pick<ModelConfig, 'numPatches' | 'patchSize'>,
    options?: SessionOptions,
  ): Promise<MaeRunner> {
    const sessionOptions = withoutSpinning(options);
    const allOutputs = { encoder: ['latent', 'attentions'], decoder: ['pred', 'pred_per_layer'] };
    const createFull = () =>
      createPair(ort, model.encoder, model.decoder, sessionOptions, sessionOptions, allOutputs);
    const { lean } = model;
    if (!lean) {
      const full = await createPair(ort, model.encoder, model.decoder, sessionOptions, sessionOptions, {
        encoder: ['latent'],
        decoder: ['pred'],
      });
      const checkExtras = async () => {
        requireNames('encoder.onnx output', full.encoder.outputNames, allOutputs.encoder);
        requireNames('decoder.onnx output', full.decoder.outputNames, allOutputs.decoder);
        return full;
      };
      return new MaeRunner(ort.Tensor, full, checkExtras, config.numPatches, patchDim(config));
    }
    // The options type belongs to the runtime passed in; both onnxruntime-web and -node take externalData.
    const withWeights = (path: string, data: Uint8Array) =>
      ({ ...sessionOptions, externalData: [{ path, data }] }) as SessionOptions;
    const fast = await createPair(
      ort,
      lean.encoder,
      lean.decoder,
      withWeights(lean.encoderPath, model.encoder),
      withWeights(lean.decoderPath, model.decoder),
      { encoder: ['latent'], decoder: ['pred'] },
    );
    return new MaeRunner(ort.Tensor, fast, createFull, config.numPatches, patchDim(config));
  }

  private async sessionsFor(request: MaeRunRequest): Promise<SessionPair> {
    if (!request.attentions && !request.predPerLayer) return this.fast;
    this.full ??= this.createFull();
    try {
      return await this.full;
    } catch (error) {
      this.full = undefined;
      throw error;
    }
  }

  /**
   * Encoder then decoder for one image (B = 1). Runs are queued, one at a time per runner, since
   * an ORT session must not run twice concurrently.
   */
  run(request: MaeRunRequest): Promise<MaeRunResult> {
    if (this.disposed) return Promise.reject(new MaeRunnerError('the runner was disposed'));
    const result = this.queue.then(() => this.runNow(request));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow(request: MaeRunRequest): Promise<MaeRunResult> {
    const { visiblePatches, idsKeep, idsRestore } = request;
    const keep = idsKeep.length;
    const dim = this.patchDim;
    if (visiblePatches.length !== keep * dim) {
      throw new MaeRunnerError(
        `visiblePatches has ${visiblePatches.length} values; expected K*P*P*3 = ${keep * dim}`,
      );
    }
    if (idsRestore.length !== this.numPatches) {
      throw new MaeRunnerError(
        `idsRestore has ${idsRestore.length} entries; expected N = ${this.numPatches}`,
      );
    }
    const encoderFetches = request.attentions ? ['latent', 'attentions'] : ['latent'];
    const decoderFetches = request.predPerLayer ? ['pred', 'pred_per_layer'] : ['pred'];
    const sessions = await this.sessionsFor(request);
    const { Tensor } = this;
    const encoderFeeds = {
      visible_patches: new Tensor('float32', visiblePatches, [1, keep, dim]),
      ids_keep: new Tensor('int64', toInt64(idsKeep, this.numPatches, 'idsKeep'), [1, keep]),
    };
    const decoderIds = new Tensor('int64', toInt64(idsRestore, this.numPatches, 'idsRestore'), [
      1,
      this.numPatches,
    ]);

    const started = performance.now();
    const encoded = await sessions.encoder.run(encoderFeeds, encoderFetches);
    const encoderDone = performance.now();
    const latentTensor = encoded.latent;
    if (!latentTensor) throw new MaeRunnerError('encoder returned no latent');
    const decoded = await sessions.decoder.run(
      { latent: latentTensor, ids_restore: decoderIds },
      decoderFetches,
    );
    const decoderDone = performance.now();

    const latent = float32Output(encoded, 'latent');
    const pred = float32Output(decoded, 'pred');
    const result: MaeRunResult = {
      latent: latent.data,
      latentDims: latent.dims,
      pred: pred.data,
      encoderMs: encoderDone - started,
      decoderMs: decoderDone - encoderDone,
    };
    if (request.attentions) result.attentions = float32Output(encoded, 'attentions');
    if (request.predPerLayer) result.predPerLayer = float32Output(decoded, 'pred_per_layer');
    return result;
  }

  /** Refuses new runs, lets queued ones finish, then releases every session. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    const full = await this.full?.catch(() => undefined);
    const sessions = new Set([this.fast.encoder, this.fast.decoder, full?.encoder, full?.decoder]);
    await Promise.all([...sessions].map((session) => session?.release()));
  }
}
