/** Gathers the graph files a config.json names into what MaeRunner takes, however they are read. */
import type { ModelConfig, ModelFile } from '../formats/config';
import type { MaeModelBytes } from './maeRunner';
import { checkGraph } from './onnxGraph';

const baseName = (path: string) => path.split('/').pop() ?? path;

/**
 * Reads the graphs and checks each against config.json (onnxGraph.ts) before anything runs them,
 * so a truncated or mismatched file is refused with its name while the previous model still runs.
 */
export async function readModelBytes(
  config: Pick<ModelConfig, 'files' | 'patchSize' | 'numPatches' | 'encoder'>,
  read: (file: ModelFile) => Promise<Uint8Array>,
): Promise<MaeModelBytes> {
  const { encoder, decoder, encoderLean, decoderLean } = config.files;
  for (const file of [encoder, decoder]) {
    if (file.externalData) {
      // Over 2 GB of weights does not fit next to the rest in the 4 GB of a wasm32 heap.
      throw new Error(
        `${file.path} keeps its weights in ${file.externalData.path} (over 2 GB): too large to run here; export it with fewer parameters or at half precision`,
      );
    }
  }
  const [encoderBytes, decoderBytes] = await Promise.all([read(encoder), read(decoder)]);
  checkGraph(encoderBytes, encoder, 'encoder', config);
  checkGraph(decoderBytes, decoder, 'decoder', config);
  if (!encoderLean || !decoderLean) return { encoder: encoderBytes, decoder: decoderBytes };
  const [encoderLeanBytes, decoderLeanBytes] = await Promise.all([read(encoderLean), read(decoderLean)]);
  checkGraph(encoderLeanBytes, encoderLean, 'encoder', config);
  checkGraph(decoderLeanBytes, decoderLean, 'decoder', config);
  return {
    encoder: encoderBytes,
    decoder: decoderBytes,
    // The lean graphs name the full files by the names they had at export time, without folders.
    lean: {
      encoder: encoderLeanBytes,
      decoder: decoderLeanBytes,
      encoderPath: baseName(encoder.path),
      decoderPath: baseName(decoder.path),
    },
  };
}
