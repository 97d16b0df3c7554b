/**
 * UTF-8 for the readers. TextDecoder and TextEncoder exist in every place this code runs
 * (browsers, workers, Node), but not in the ES library the pure type-check uses; they are
 * declared here, once, with only what is used.
 */
declare const TextDecoder: new (
  label: 'utf-8',
  options: { fatal: boolean },
) => { decode(bytes: Uint8Array): string };
declare const TextEncoder: new () => { encode(text: string): Uint8Array };

/** Throws a TypeError on bytes that are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

export function encodeUtf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
