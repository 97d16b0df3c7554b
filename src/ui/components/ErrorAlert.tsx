import { useAppStore } from '../store';

/** Always in the page so screen readers announce what is put into it. */
export function ErrorAlert() {
  const error = useAppStore((s) => s.error);
  const dismissError = useAppStore((s) => s.dismissError);
  return (
    <div role="alert" className={error ? 'alert' : 'alert alert--empty'}>
      {error && (
        <>
          <p>{error}</p>
          <button
            type="button"
            className="alert__dismiss"
            aria-label="Dismiss the error"
            onClick={dismissError}
          >
            ×
          </button>
        </>
      )}
    </div>
  );
}
