// The analysis worker from its TypeScript source, for unit tests (the product runs dist/worker.js):
// tsx's require hook, then the worker module.
require('tsx/cjs');
require('../../../src/server/analysis/worker.ts');
