import { useId } from 'react';

/**
 * A field for a model named by URL (`https://…/config.json`) or Hub spec (`hf:OWNER/REPO`), and
 * its button: the model picker's and the comparison's. `onSpec` gets the trimmed text, if any.
 */
export function ModelSpecForm({
  className,
  label,
  name,
  button,
  buttonClassName,
  onSpec,
}: {
  className: string;
  label: string;
  name: string;
  button: string;
  buttonClassName: string;
  onSpec: (spec: string) => void;
}) {
  const id = useId();
  return (
    <form
      className={className}
      onSubmit={(event) => {
        event.preventDefault();
        const spec = String(new FormData(event.currentTarget).get(name) ?? '').trim();
        if (spec) onSpec(spec);
      }}
    >
      <label htmlFor={id}>{label}</label>
      {/* type="text": hf:OWNER/REPO is not a URL the browser's own check accepts. */}
      <input
        id={id}
        name={name}
        type="text"
        inputMode="url"
        spellCheck={false}
        placeholder="https://…/config.json or hf:OWNER/REPO"
      />
      <button type="submit" className={buttonClassName}>
        {button}
      </button>
    </form>
  );
}
