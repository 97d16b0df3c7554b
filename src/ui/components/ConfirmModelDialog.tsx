import { useId } from 'react';

import { formatBytes } from '../format';
import { useAppStore } from '../store';

/**
 * A link (`?model=`) named a model that is not cached: nothing is downloaded until the user
 * agrees, and the bundled model runs meanwhile.
 */
export function ConfirmModelDialog() {
  const titleId = useId();
  const textId = useId();
  const pending = useAppStore((s) => s.pendingModel);
  const confirm = useAppStore((s) => s.confirmPendingModel);
  const dismiss = useAppStore((s) => s.dismissPendingModel);
  if (!pending) return null;
  const size =
    pending.bytes === null ? 'a download of unknown size' : `a ${formatBytes(pending.bytes)} download`;
  return (
    <div className="dialog-backdrop">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={textId}
        className="dialog"
        onKeyDown={(event) => {
          if (event.key === 'Escape') dismiss();
        }}
      >
        <h2 id={titleId}>Load a model from {pending.host}?</h2>
        <p id={textId}>
          This link asks for <code>{pending.spec}</code>: {size} from <strong>{pending.host}</strong>, kept in
          your browser for the next visit. Until you load it, the bundled model keeps running.
        </p>
        <div className="dialog__actions">
          <button type="button" className="button" onClick={dismiss}>
            Not now
          </button>
          {/* The one action of the dialog: focused first, so Enter loads. */}
          <button type="button" className="button button--primary" autoFocus onClick={() => void confirm()}>
            Load model
          </button>
        </div>
      </div>
    </div>
  );
}
