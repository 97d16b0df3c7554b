/**
 * The encoder step's summaries over all layers and heads: each head's mean attention distance
 * (the ViT paper's figure 7) and each head's attention entropy, plotted against the layer. Both
 * re-read the run's attentions; nothing runs the model.
 */
import { useMemo } from 'react';

import { gridSize } from '../../formats/config';
import { attentionEntropy, meanAttentionDistance, type PerHead } from '../../mae/attention';
import { Plot, type PlotSeries } from './Plot';
import type { StepRun } from './StepBodies';

const HEAD_COLOR = '#9aa0ad';
const CHOSEN_COLOR = '#4f46e5';
const MEAN_COLOR = '#c2410c';

function headSeries(data: PerHead, chosen: number | 'mean', unit: string, digits: number): PlotSeries[] {
  const { layers, heads, values } = data;
  const perHead = Array.from({ length: heads }, (_, h) => ({
    label: `Head ${h + 1}`,
    color: h === chosen ? CHOSEN_COLOR : HEAD_COLOR,
    radius: h === chosen ? 4.5 : 3,
    hideInLegend: true,
    points: Array.from({ length: layers }, (_, l) => ({
      x: l + 1,
      y: values[l * heads + h]!,
      note: `Layer ${l + 1}, head ${h + 1}: ${values[l * heads + h]!.toFixed(digits)} ${unit}`,
    })),
  }));
  // The chosen head last, so it is drawn on top.
  if (typeof chosen === 'number') perHead.push(...perHead.splice(chosen, 1));
  const mean = {
    label: 'mean of heads',
    color: MEAN_COLOR,
    line: true,
    dots: false,
    points: Array.from({ length: layers }, (_, l) => {
      const row = Array.from(values.subarray(l * heads, (l + 1) * heads)).filter(Number.isFinite);
      return { x: l + 1, y: row.length ? row.reduce((a, b) => a + b, 0) / row.length : Number.NaN };
    }),
  };
  return [...perHead, mean];
}

/** "layer 1: 12 to 40 px; layer 2: …" for the accessible names. */
function rangesInWords(data: PerHead, unit: string, digits: number): string {
  const { layers, heads, values } = data;
  return Array.from({ length: layers }, (_, l) => {
    const row = Array.from(values.subarray(l * heads, (l + 1) * heads)).filter(Number.isFinite);
    if (row.length === 0) return `layer ${l + 1}: none`;
    return `layer ${l + 1}: ${Math.min(...row).toFixed(digits)} to ${Math.max(...row).toFixed(digits)} ${unit}`;
  }).join('; ');
}

export function AttentionSummaries({ run, chosenHead }: { run: StepRun; chosenHead: number | 'mean' }) {
  const { config, intermediates } = run;
  const { attentions, attentionDims, idsKeep } = intermediates;
  const distance = useMemo(
    () => meanAttentionDistance(attentions, attentionDims, idsKeep, gridSize(config), config.patchSize),
    [attentions, attentionDims, idsKeep, config],
  );
  const entropy = useMemo(() => attentionEntropy(attentions, attentionDims), [attentions, attentionDims]);
  const { layers } = distance;
  const tokens = idsKeep.length + 1;
  const xTicks = Array.from({ length: layers }, (_, l) => ({ value: l + 1, label: String(l + 1) }));
  const xDomain: [number, number] = [0.5, layers + 0.5];
  const legendExtra = [
    { label: 'one head', color: HEAD_COLOR },
    ...(typeof chosenHead === 'number' ? [{ label: `head ${chosenHead + 1}`, color: CHOSEN_COLOR }] : []),
  ];
  // The largest distance two patches can have: corner to corner.
  const diagonal = (gridSize(config) - 1) * config.patchSize * Math.SQRT2;
  return (
    <div className="attention-summaries">
      {idsKeep.length === 0 ? (
        <p className="step-empty">No patch is visible, so there is no attention distance to measure.</p>
      ) : (
        <Plot
          title="Mean attention distance"
          subtitle={`over the ${idsKeep.length} visible tokens only, cls left out`}
          label={`Mean attention distance in pixels per head against encoder layer, over the ${idsKeep.length} visible tokens only: ${rangesInWords(distance, 'px', 0)}.`}
          xLabel="Encoder layer"
          yLabel="Distance (px)"
          xDomain={xDomain}
          xTicks={xTicks}
          yDomain={[
            0,
            Math.max(config.patchSize, ...Array.from(distance.values).filter(Number.isFinite)) * 1.1,
          ]}
          series={headSeries(distance, chosenHead, 'px', 1)}
          legendExtra={legendExtra}
        />
      )}
      <Plot
        title="Attention entropy per head"
        subtitle={`averaged over the ${tokens} query tokens`}
        label={`Attention entropy in bits per head against encoder layer, averaged over the ${tokens} query tokens (at most log2 ${tokens} = ${Math.log2(tokens).toFixed(2)} bits): ${rangesInWords(entropy, 'bits', 2)}.`}
        xLabel="Encoder layer"
        yLabel="Entropy (bits)"
        xDomain={xDomain}
        xTicks={xTicks}
        yDomain={[0, Math.max(1, Math.log2(tokens)) * 1.05]}
        guide={{ y: Math.log2(tokens), label: `uniform over ${tokens} tokens` }}
        series={headSeries(entropy, chosenHead, 'bits', 2)}
        legendExtra={legendExtra}
      />
      <p className="hint attention-summaries__note">
        Distance: for each visible patch, the attention-weighted mean distance between its centre and the
        visible patches it attends to (cls left out), averaged over patches; the corner-to-corner distance is{' '}
        {diagonal.toFixed(0)} px. Entropy: 0 bits = each token looks at one token; more = attention spread
        out.
      </p>
    </div>
  );
}
