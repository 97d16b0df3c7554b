import { useEffect, useState } from 'react';

import { useAppStore } from '../store';

function firstImage(items: DataTransferItemList | undefined): File | null {
  for (const item of Array.from(items ?? [])) {
    if (item.kind === 'file' && item.type.startsWith('image/')) return item.getAsFile();
  }
  return null;
}

function carriesFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

/** Drop an image anywhere on the page, or paste one: both listen on the whole window. */
export function ImageInputs() {
  const openImage = useAppStore((s) => s.openImage);
  const showError = useAppStore((s) => s.showError);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    // dragenter/dragleave fire for every child element crossed; counting them tells when the
    // pointer really left the window.
    let depth = 0;
    const onDragEnter = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth++;
      setDragging(true);
    };
    const onDragLeave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onDragOver = (event: DragEvent) => {
      if (carriesFiles(event)) event.preventDefault();
    };
    const onDrop = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      const file = Array.from(event.dataTransfer?.files ?? []).find((f) => f.type.startsWith('image/'));
      if (file) void openImage(file, { kind: 'file', name: file.name });
      else showError('That was not an image file. Drop a JPEG, PNG, WebP or similar picture.');
    };
    const onPaste = (event: ClipboardEvent) => {
      const file = firstImage(event.clipboardData?.items);
      if (!file) return;
      event.preventDefault();
      void openImage(file, { kind: 'clipboard' });
    };
    window.addEventListener('dragenter', onDragEnter);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    window.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('dragenter', onDragEnter);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
      window.removeEventListener('paste', onPaste);
    };
  }, [openImage, showError]);

  return (
    <div className={dragging ? 'drop-overlay drop-overlay--visible' : 'drop-overlay'} aria-hidden="true">
      <div className="drop-overlay__card">Drop the image to reconstruct it</div>
    </div>
  );
}
