import { downloadFigure } from '../figure';
import { removedPercent, slug } from '../format';
import { useAppStore } from '../store';

export function DownloadFigure() {
  const views = useAppStore((s) => s.result?.views ?? null);
  const numPatches = useAppStore((s) => s.result?.numPatches ?? 0);
  const visible = useAppStore((s) => s.result?.visiblePatches ?? 0);
  const inputs = useAppStore((s) => s.resultInputs);
  const showError = useAppStore((s) => s.showError);
  const disabled = !views || !inputs;
  const onClick = () => {
    if (!views || !inputs) return;
    const { modelName, maskMode, maskPercent, seed, sourceLabel } = inputs;
    const ratio = removedPercent(visible, numPatches);
    // A painted mask has no seed or ratio setting: the patch count says it all.
    const mask =
      maskMode === 'painted'
        ? `painted mask, ${ratio}% removed (${visible} of ${numPatches} patches visible)`
        : `${maskMode} mask, ratio ${ratio}% (${visible} of ${numPatches} patches visible) · seed ${seed}`;
    const caption = `${sourceLabel} · ${modelName} · ${mask} · MAE Lens`;
    const fileName =
      maskMode === 'painted'
        ? `mae-lens_${slug(sourceLabel)}_painted_k${visible}.png`
        : `mae-lens_${slug(sourceLabel)}_${maskMode === 'random' ? '' : `${maskMode}_`}ratio${maskPercent}_seed${seed}.png`;
    downloadFigure(views, caption, fileName).catch((error: Error) => showError(error.message));
  };
  return (
    <button type="button" className="button" disabled={disabled} onClick={onClick}>
      Download figure
    </button>
  );
}
