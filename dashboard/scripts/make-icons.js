// Renders public/icons/icon.svg into the PNG icons the web app manifest names (192 and 512 px), with Debian's
// chromium driven by playwright-core (no image tool beyond the browser the tests already use). The PNGs are
// committed; run this again after changing the SVG:  node scripts/make-icons.js
// The SVG fills its square edge to edge with the mark inside the middle 80%, so one icon serves as "any" and as
// "maskable" (a phone's launcher may crop it to a circle).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const icons = join(dirname(fileURLToPath(import.meta.url)), '../public/icons');
const svg = readFileSync(join(icons, 'icon.svg'), 'utf8');
const profile = mkdtempSync(join(tmpdir(), 'cloudopt-icons-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  for (const size of [192, 512]) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<html><body style="margin:0">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
    await page.screenshot({ path: join(icons, `icon-${size}.png`), clip: { x: 0, y: 0, width: size, height: size } });
    console.log(`wrote icons/icon-${size}.png`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
