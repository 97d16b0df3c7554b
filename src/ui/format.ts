import type { ModelEvaluation } from '../formats/config';

/** Human-readable numbers for the page. */

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(0)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

export function formatParameters(count: number): string {
  if (count < 1e6) return `${(count / 1e3).toFixed(0)} k parameters`;
  return `${(count / 1e6).toFixed(1)} M parameters`;
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Share of removed patches in percent, one decimal: 147 of 196 removed -> 75. */
export function removedPercent(visible: number, total: number): number {
  return Math.round((1000 * (total - visible)) / Math.max(1, total)) / 10;
}

export function formatPsnr(db: number): string {
  return Number.isFinite(db) ? `${db.toFixed(1)} dB` : '—';
}

/** A file-name-safe form of a label: "Chelsea the cat" -> "chelsea-the-cat". */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'image'
  );
}

/** The page's model entry: what the model scored on photos it never trained on, against the fills. */
export function formatEvaluation(e: ModelEvaluation): string {
  // Two decimals: the gaps to the fills are tenths of a dB.
  const db = (value: number) => `${value.toFixed(2)} dB`;
  const of = `of ${e.images}`;
  return (
    `Held-out test: ${e.data} (${e.images} photos, ${Math.round(e.maskRatio * 100)} % masked, seeds ` +
    `${e.seeds.join(', ')}): ${db(e.modelPsnr)} masked-patch PSNR; interpolation ` +
    `${db(e.interpolationPsnr)} (model better on ${e.winsOverInterpolation} ${of}), converged ` +
    `diffusion ${db(e.convergedDiffusionPsnr)} (${e.winsOverConvergedDiffusion} ${of}).`
  );
}
