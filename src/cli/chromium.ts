/**
 * Debian's Chromium, as the end-to-end tests and the benchmark drive it. The flags keep a headless
 * run off the network (no background requests, which this machine's closed network refuses) and
 * off a GPU that is not there (shared/notes/platform-notes.md).
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
