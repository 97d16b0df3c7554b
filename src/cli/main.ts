/**
 * MAE Lens command line (Node, onnxruntime-node, the same src/mae code as the browser).
 *
 *   npm run eval -- [--model models/NAME] --data DIR [--mask-ratio 0.75] [--seeds 0,1,2] [--json]
 */
import { parseArgs } from 'node:util';
import { evaluate } from './eval';

export const DEFAULT_MODEL = 'models/mae-small';

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`--seeds must be comma-separated non-negative integers (got "${text}")`);
  }
  return seeds;
}

function parseRatio(text: string): number {
  const ratio = Number(text);
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`--mask-ratio must be in [0, 1] (got "${text}")`);
  return ratio;
}

async function runEval(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string', default: DEFAULT_MODEL },
      data: { type: 'string' },
      'mask-ratio': { type: 'string', default: '0.75' },
      seeds: { type: 'string', default: '0,1,2' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.data) throw new Error('--data DIR is required');
  const result = await evaluate({
    model: values.model,
    data: values.data,
    maskRatio: parseRatio(values['mask-ratio']),
    seeds: parseSeeds(values.seeds),
    json: values.json,
  });
  const { model_psnr, interpolation_psnr, mean_fill_psnr } = result.summary;
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(
      `\n${result.images.length} images: model ${model_psnr.toFixed(2)} dB, interpolation ${interpolation_psnr.toFixed(2)} dB, mean fill ${mean_fill_psnr.toFixed(2)} dB`,
    );
  }
  return 0;
}

const commands: Record<string, (args: string[]) => Promise<number>> = { eval: runEval };

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const run = command ? commands[command] : undefined;
  if (!run) {
    console.error(`usage: main.ts <${Object.keys(commands).join('|')}> [options]`);
    process.exit(2);
  }
  process.exitCode = await run(args);
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
