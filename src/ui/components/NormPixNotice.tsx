import { useId } from 'react';

import { NORM_PIX_STATISTICS, type NormPixStatistics } from '../../mae/normPix';
import { useAppStore } from '../store';

const STATISTICS_LABELS: Record<NormPixStatistics, string> = {
  patch: 'True patch statistics (uses the hidden pixels)',
  neighbours: 'Nearest visible patches’ statistics',
};

/**
 * norm_pix_loss models predict each patch up to its own mean and variance, which the viewer has
 * to supply: say so, and let the user choose where they come from.
 */
export function NormPixNotice() {
  const normPixLoss = useAppStore((s) => s.config?.normPixLoss ?? false);
  const statistics = useAppStore((s) => s.normPixStatistics);
  const setStatistics = useAppStore((s) => s.setNormPixStatistics);
  const name = useId();
  if (!normPixLoss) return null;
  return (
    <div className="notice" role="note" aria-label="Normalised-pixel model">
      <p>
        <strong>This model predicts normalised patches</strong> (trained with <code>norm_pix_loss</code>):
        each patch comes out up to its own mean and variance, which the model never learned. The pictures
        borrow them from:
      </p>
      <div className="notice__choices">
        {NORM_PIX_STATISTICS.map((value) => (
          <label key={value}>
            <input
              type="radio"
              name={name}
              value={value}
              checked={statistics === value}
              onChange={() => setStatistics(value)}
            />
            {STATISTICS_LABELS[value]}
          </label>
        ))}
      </div>
    </div>
  );
}
