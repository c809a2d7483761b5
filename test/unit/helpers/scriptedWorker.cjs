// A stand-in for the analysis worker that does what each request's text says, for the tests of
// WorkerClient's failure handling: `crash` (exits after starting it), `die-early` (exits before
// saying it started), `wait <ms>` (busy that long, as an analysis is: the requests behind it wait),
// anything else (answers with the text).
const { parentPort } = require('node:worker_threads');

parentPort.on('message', (req) => {
  const text = req.params.text;
  if (text === 'die-early') process.exit(1);
  parentPort.postMessage({ id: req.id, started: true });
  if (text === 'crash') {
    // Busy a moment after saying it started (the requests behind it stay queued), then gone.
    const end = Date.now() + 50;
    while (Date.now() < end);
    process.exit(1);
  }
  const wait = /^wait (\d+)$/.exec(text);
  const end = Date.now() + (wait ? Number(wait[1]) : 0);
  while (Date.now() < end);
  parentPort.postMessage({ id: req.id, ok: true, result: text, ms: 0 });
});
