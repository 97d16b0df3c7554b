/** Gathers the graph files a config.json names into what MaeRunner takes, however they are read. */
import type { ModelConfig, ModelFile } from '../mae/config';
import type { MaeModelBytes } from './maeRunner';

const baseName = (path: string) => path.split('/').pop() ?? path;

export async function readModelBytes(
  config: Pick<ModelConfig, 'files'>,
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
  if (!encoderLean || !decoderLean) return { encoder: encoderBytes, decoder: decoderBytes };
  const [encoderLeanBytes, decoderLeanBytes] = await Promise.all([read(encoderLean), read(decoderLean)]);
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
