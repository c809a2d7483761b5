// Copies the screenshots the end-to-end and webview tests take (test-results/screenshots) into
// docs/images, for the user guide. Run after `npm test` (or test:e2e and test:webview):
// `node scripts/docs-images.mjs`. Fails if a screenshot the guide uses is missing.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const from = join(root, 'test-results', 'screenshots');
const to = join(root, 'docs', 'images');
const USED = [
  'two-layer-net-dark.png',
  'two-layer-net-light.png',
  'dashboard-light.png',
  'walkthrough.png',
  'restricted-mode.png',
  'webview-graph-circuit-light.png',
  'webview-graph-wrong-sign-dark.png',
  'webview-gradients-dark.png',
  'webview-checks-light.png',
  'webview-landscape-dark.png',
  'webview-training-light.png',
  'debug-circuit-backward.png',
];
mkdirSync(to, { recursive: true });
const missing = USED.filter((f) => !existsSync(join(from, f)));
if (missing.length) {
  console.error(`docs-images: missing ${missing.join(', ')} — run the end-to-end and webview tests first`);
  process.exit(1);
}
for (const f of USED) copyFileSync(join(from, f), join(to, f));
console.log(`docs-images: copied ${USED.length} screenshots into docs/images`);
