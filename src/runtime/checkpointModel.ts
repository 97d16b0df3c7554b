/**
 * The one loader for checkpoints from outside this project: Hugging Face ViT-MAE weights
 * (`model.safetensors` or `pytorch_model.bin`, with `config.json`) and Meta's `.pth`, read and
 * turned into the graphs MaeRunner runs. The page's worker and the CLI both call it.
 * Pure: no DOM, no Node, no onnxruntime.
 */
import type { ModelConfig } from '../formats/config';
import { type MaeCheckpoint, readMaeCheckpoint } from '../formats/maeCheckpoint';
import { readSafetensors } from '../formats/safetensors';
import { CheckpointError } from '../formats/tensor';
import { readTorchCheckpoint } from '../formats/torch';
import { buildMaeModel } from './checkpointGraph';
import type { MaeModelBytes } from './maeRunner';

export interface CheckpointFiles {
  /** The weights: `*.safetensors`, or a PyTorch zip (`*.bin`, `*.pth`, `*.pt`). */
  weights: { name: string; bytes: Uint8Array };
  /** config.json parsed: Hugging Face's (required for its layout) or a sidecar for Meta's. */
  configJson?: unknown;
  /** Shown in the model picker; defaults to the weights' file name. */
  name?: string;
  /** Quantise the Linear weights to int8 (scripts/quantize_onnx.py's format): faster on CPU. */
  int8?: boolean;
}

/** Hugging Face's weight files, in the order they are preferred. */
export const HF_WEIGHT_FILES = ['model.safetensors', 'pytorch_model.bin'];

export const CHECKPOINT_EXTENSIONS = ['.safetensors', '.bin', '.pth', '.pt'] as const;

export function isCheckpointFileName(name: string): boolean {
  return CHECKPOINT_EXTENSIONS.some((extension) => name.toLowerCase().endsWith(extension));
}

/**
 * The largest fp32 weights the page runs: onnxruntime's WebAssembly heap is at most 4 GB, and
 * while a session is created it holds a graph's weights twice (the external data, then the
 * initializers), besides the other half's. ViT-MAE large (1.3 GB) fits; huge (2.6 GB) does not.
 */
export const MAX_WASM_WEIGHT_BYTES = 1.6e9;

/** Refuses, before anything is downloaded or built, a model too large for the WebAssembly heap. */
export function checkWasmSize(parameters: number, what: string): void {
  const bytes = parameters * 4;
  if (bytes > MAX_WASM_WEIGHT_BYTES) {
    const gigabytes = (value: number) => `${(value / 1e9).toFixed(1)} GB`;
    throw new CheckpointError(
      `${what} has ${Math.round(parameters / 1e6)} M parameters, ${gigabytes(bytes)} of float32 weights: more than ` +
        `the ${gigabytes(MAX_WASM_WEIGHT_BYTES)} that fit in this browser's WebAssembly memory (4 GB, the weights held ` +
        'twice while loading). ViT-MAE base and large run here; huge needs the Python route (README).',
    );
  }
}

function readCheckpoint(files: CheckpointFiles): MaeCheckpoint {
  const { name, bytes } = files.weights;
  if (!isCheckpointFileName(name)) {
    throw new CheckpointError(`${name}: not a checkpoint (expected ${CHECKPOINT_EXTENSIONS.join(', ')})`);
  }
  const tensors = name.toLowerCase().endsWith('.safetensors')
    ? readSafetensors(bytes, name)
    : readTorchCheckpoint(bytes, name);
  const checkpoint = readMaeCheckpoint({
    fileName: name,
    tensors,
    configJson: files.configJson,
    ...(files.name !== undefined && { name: files.name }),
  });
  if (files.int8) checkpoint.config.quantization = { mode: 'int8' };
  return checkpoint;
}

/**
 * Reads and checks a checkpoint without building anything, and refuses one too large for the
 * page's WebAssembly memory: its config, for the page to show.
 */
export function inspectCheckpoint(files: CheckpointFiles): ModelConfig {
  const checkpoint = readCheckpoint(files);
  checkWasmSize(checkpoint.parameters, files.weights.name);
  return checkpoint.config;
}

/**
 * Reads, checks and builds. The weights' bytes are only read: once this returns, the caller
 * should drop them, since the model holds its own copy in the layout the graphs want.
 */
export function loadCheckpointModel(files: CheckpointFiles): { config: ModelConfig; bytes: MaeModelBytes } {
  const checkpoint = readCheckpoint(files);
  return { config: checkpoint.config, bytes: buildMaeModel(checkpoint, { int8: files.int8 ?? false }) };
}
