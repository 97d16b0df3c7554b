import { describe, expect, it } from 'vitest';

import { isRemoteModelSpec, modelConfigUrl } from './modelSource';

describe('modelConfigUrl', () => {
  it('turns hf:OWNER/REPO into the resolve/ URL of its config.json, on main unless a revision is given', () => {
    expect(modelConfigUrl('hf:meta/mae-base')).toBe(
      'https://huggingface.co/meta/mae-base/resolve/main/config.json',
    );
    expect(modelConfigUrl('hf:meta/mae-base@v1.0')).toBe(
      'https://huggingface.co/meta/mae-base/resolve/v1.0/config.json',
    );
    expect(modelConfigUrl('hf:meta/mae-base@refs/pr/3')).toBe(
      'https://huggingface.co/meta/mae-base/resolve/refs%2Fpr%2F3/config.json',
    );
  });

  it('takes http(s) URLs as they are and refuses everything else', () => {
    expect(modelConfigUrl('https://cdn.example/m/config.json')).toBe('https://cdn.example/m/config.json');
    expect(modelConfigUrl('http://127.0.0.1:8080/config.json')).toBe('http://127.0.0.1:8080/config.json');
    for (const text of [
      'mae-small',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'hf:only-owner',
      'hf:a/b/c',
    ]) {
      expect(isRemoteModelSpec(text), text).toBe(false);
    }
  });
});
