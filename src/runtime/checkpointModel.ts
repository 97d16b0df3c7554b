/**
 * The one loader for checkpoints from outside this project: Hugging Face ViT-MAE weights
 * (`model.safetensors` or `pytorch_model.bin`, with `config.json`) and Meta's `.pth`, read and
 * turned into the graphs MaeRunner runs. The page's worker and the CLI both call it.
 * Pure: no DOM, no Node, no onnxruntime.
 */
import type { ModelConfig } from '../mae/config';
import { readMaeCheckpoint } from '../formats/maeCheckpoint';
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
}

export const CHECKPOINT_EXTENSIONS = ['.safetensors', '.bin', '.pth', '.pt'] as const;

export function isCheckpointFileName(name: string): boolean {
  return CHECKPOINT_EXTENSIONS.some((extension) => name.toLowerCase().endsWith(extension));
}

/**
 * Reads, checks and builds. The weights' bytes are only read: once this returns, the caller
 * should drop them, since the model holds its own copy in the layout the graphs want.
 */
export function loadCheckpointModel(files: CheckpointFiles): { config: ModelConfig; bytes: MaeModelBytes } {
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
  return { config: checkpoint.config, bytes: buildMaeModel(checkpoint) };
}
