import { lenKeep } from '../../mae/masking';
import { downloadFigure } from '../figure';
import { useAppStore } from '../store';

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'image'
  );
}

export function DownloadFigure() {
  const views = useAppStore((s) => s.result?.views ?? null);
  const numPatches = useAppStore((s) => s.result?.numPatches ?? 0);
  const inputs = useAppStore((s) => s.resultInputs);
  const showError = useAppStore((s) => s.showError);
  const disabled = !views || !inputs;
  const onClick = () => {
    if (!views || !inputs) return;
    const { modelName, maskPercent, seed, sourceLabel } = inputs;
    const visible = lenKeep(numPatches, maskPercent / 100);
    const caption =
      `${sourceLabel} · ${modelName} · mask ratio ${maskPercent}% (${visible} of ${numPatches} patches visible)` +
      ` · seed ${seed} · MAE Lens`;
    const fileName = `mae-lens_${slug(sourceLabel)}_ratio${maskPercent}_seed${seed}.png`;
    downloadFigure(views, caption, fileName).catch((error: Error) => showError(error.message));
  };
  return (
    <button type="button" className="button" disabled={disabled} onClick={onClick}>
      Download figure
    </button>
  );
}
