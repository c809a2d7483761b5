#!/usr/bin/env node
// Launcher for the CLI bundle (built by `npm install` through the `prepare` script, or `npm run build`).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(bundle)) {
  process.stderr.write('gradlens: the CLI is not built yet; run `npm run build` in the GradLens folder\n');
  process.exit(2);
}
require(bundle);
