/**
 * Models from elsewhere: `?model=` and the "Load from URL" field take either the URL of a
 * config.json or `hf:OWNER/REPO[@REVISION]`, a Hugging Face Hub repository whose root holds one.
 */

/**
 * The Hub's address, set at build time from `HF_ENDPOINT` (huggingface_hub's convention; see
 * vite.config.ts, which also lets the page's Content-Security-Policy reach it).
 */
export const HF_ENDPOINT = String(import.meta.env?.VITE_HF_ENDPOINT ?? 'https://huggingface.co').replace(
  /\/+$/,
  '',
);

const HF_SPEC = /^hf:([\w.-]+)\/([\w.-]+)(?:@([\w./-]+))?$/;

/** The config.json URL a model spec names, or null when the text is neither form. */
export function modelConfigUrl(spec: string): string | null {
  const hf = HF_SPEC.exec(spec.trim());
  if (hf) {
    const [, owner, repo, revision] = hf;
    return `${HF_ENDPOINT}/${owner}/${repo}/resolve/${encodeURIComponent(revision ?? 'main')}/config.json`;
  }
  try {
    const url = new URL(spec.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** True for text that names a model outside this build rather than a bundled model's id. */
export function isRemoteModelSpec(text: string): boolean {
  return modelConfigUrl(text) !== null;
}
