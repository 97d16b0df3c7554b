// Renders public/icons/icon.svg to the PNG sizes the web app manifest lists, with Debian's
// Chromium (the browser the tests drive). Run after changing the SVG: node scripts/render_icons.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const folder = new URL('../public/icons/', import.meta.url);
const svg = readFileSync(new URL('icon.svg', folder), 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const size of [192, 512]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  await page.setContent(`<style>body{margin:0}</style><img src="${src}" width="${size}" height="${size}">`);
  await page.locator('img').evaluate((img) => img.decode());
  writeFileSync(new URL(`icon-${size}.png`, folder), await page.screenshot({ omitBackground: true }));
  await page.close();
}
await browser.close();
