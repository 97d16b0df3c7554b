/**
 * MAE Lens command line (Node, onnxruntime-node, the same src/mae code as the browser). --model
 * PATH: an export folder, a Hugging Face folder (config.json + weights) or a Meta .pth.
 *
 *   npm run eval -- [--model PATH] --data DIR [--mask-ratio 0.75] [--seeds 0,1,2]
 *                   [--baseline diffusion:N]... [--json] [--record-in-config "WHAT THE PHOTOS ARE"]
 *   npm run reconstruct -- [--model PATH] [--mask-ratio R] [--seed S | --noise FILE.npy]
 *                          [--out DIR] [--save-tensors] IMAGE...
 *   npm run bench -- [--quick] [--large] [--json] [--out DIR]
 */
import { parseArgs } from 'node:util';

import { BENCH_USAGE, runBench } from '../bench/main';
import { errorText } from '../shared/errorText';
import {
  DEFAULT_MODEL,
  isUsageError,
  parseDiffusionBaseline,
  parseRatio,
  parseSeeds,
  UsageError,
} from './args';
import { evaluate, modelEvaluation, recordInConfig } from './eval';
import { RECONSTRUCT_USAGE, runReconstruct } from './reconstruct';

const EVAL_USAGE =
  'usage: npm run eval -- [--model PATH] --data DIR [--mask-ratio 0.75] [--seeds 0,1,2]\n' +
  '                        [--baseline diffusion:N]... [--json] [--record-in-config "WHAT THE PHOTOS ARE"]';

async function runEval(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string', default: DEFAULT_MODEL },
      data: { type: 'string' },
      'mask-ratio': { type: 'string', default: '0.75' },
      seeds: { type: 'string', default: '0,1,2' },
      json: { type: 'boolean', default: false },
      baseline: { type: 'string', multiple: true, default: [] },
      'record-in-config': { type: 'string' },
    },
  });
  if (!values.data) throw new UsageError('--data DIR is required');
  const record = values['record-in-config'];
  if (record !== undefined && record.trim() === '') {
    throw new UsageError(
      '--record-in-config needs the photos named in words, e.g. "tuxpaint-data, never trained on"',
    );
  }
  const options = {
    model: values.model,
    data: values.data,
    maskRatio: parseRatio(values['mask-ratio']),
    seeds: parseSeeds(values.seeds),
    json: values.json,
    diffusionRounds: values.baseline.map(parseDiffusionBaseline),
  };
  const result = await evaluate(options);
  // The page's model entry shows it (models/index.json is built from config.json).
  if (record !== undefined)
    await recordInConfig(values.model, modelEvaluation(result, options, record.trim()));
  const { model_psnr, interpolation_psnr, mean_fill_psnr, diffusion_psnr, model_wins } = result.summary;
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(
      `\n${result.images.length} images: model ${model_psnr.toFixed(2)} dB, interpolation ${interpolation_psnr.toFixed(2)} dB, mean fill ${mean_fill_psnr.toFixed(2)} dB`,
    );
    for (const [name, psnr] of Object.entries(diffusion_psnr)) console.log(`${name} ${psnr.toFixed(2)} dB`);
    const wins = Object.entries(model_wins).map(([name, count]) => `${name} ${count}`);
    console.log(`model wins (images of ${result.images.length}): ${wins.join(', ')}`);
  }
  return 0;
}

interface Command {
  run: (args: string[]) => Promise<number>;
  usage: string;
}

const commands: Record<string, Command> = {
  eval: { run: runEval, usage: EVAL_USAGE },
  reconstruct: { run: runReconstruct, usage: RECONSTRUCT_USAGE },
  bench: { run: runBench, usage: BENCH_USAGE },
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(`usage: main.ts <${Object.keys(commands).join('|')}> [options]`);
    process.exit(2);
  }
  try {
    process.exitCode = await command.run(args);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    console.error(`error: ${(error as Error).message}\n\n${command.usage}`);
    process.exitCode = 2;
  }
}

main().catch((error: unknown) => {
  console.error(`error: ${errorText(error)}`);
  process.exit(1);
});
