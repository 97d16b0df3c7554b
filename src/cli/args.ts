/** Defaults and argument checks shared by the subcommands. A UsageError exits with status 2, not 1. */

export const DEFAULT_MODEL = 'models/mae-small';

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseRatio(text: string): number {
  const ratio = Number(text);
  if (!(ratio >= 0 && ratio <= 1)) throw new UsageError(`--mask-ratio must be in [0, 1] (got "${text}")`);
  return ratio;
}

/** A mask seed: the PRNG takes 32 bits. */
export function parseSeed(text: string): number {
  const seed = Number(text);
  if (text.trim() === '' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(`--seed must be an integer in [0, 2^32) (got "${text}")`);
  }
  return seed;
}

export function parseSeeds(text: string): number[] {
  try {
    return text.split(',').map(parseSeed);
  } catch {
    throw new UsageError(`--seeds must be comma-separated integers in [0, 2^32) (got "${text}")`);
  }
}

/** Diffusion rounds of a `--baseline diffusion:N` (inverse-distance fill, then N rounds of diffusion). */
export function parseDiffusionBaseline(text: string): number {
  const match = /^diffusion:(\d+)$/.exec(text.trim());
  const rounds = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(rounds)) {
    throw new UsageError(`--baseline must be diffusion:N with N a whole number of rounds (got "${text}")`);
  }
  return rounds;
}

/** parseArgs reports unknown options, missing values and the like as errors with these codes. */
export function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
