/** Gathers the graph files a config.json names into what MaeRunner takes, however they are read. */
import type { ModelConfig, ModelFile } from '../mae/config';
import type { MaeModelBytes } from './maeRunner';

export async function readModelBytes(
  config: Pick<ModelConfig, 'files'>,
  read: (file: ModelFile) => Promise<Uint8Array>,
): Promise<MaeModelBytes> {
  const { encoder, decoder, encoderLean, decoderLean } = config.files;
  const [encoderBytes, decoderBytes] = await Promise.all([read(encoder), read(decoder)]);
  if (!encoderLean || !decoderLean) return { encoder: encoderBytes, decoder: decoderBytes };
  const [encoderLeanBytes, decoderLeanBytes] = await Promise.all([read(encoderLean), read(decoderLean)]);
  return {
    encoder: encoderBytes,
    decoder: decoderBytes,
    lean: {
      encoder: encoderLeanBytes,
      decoder: decoderLeanBytes,
      encoderPath: encoder.path,
      decoderPath: decoder.path,
    },
  };
}
