// Issue 15, finding 9: the dashboard's serializer analysed any URI found in a restored webview's
// state. Only a .grad document is taken from it now.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restoredGradUri } from '../../src/shared/webviewProtocol';

test('a restored dashboard takes only a .grad document from its saved state', () => {
  assert.equal(restoredGradUri({ uri: 'file:///home/u/net.grad' }), 'file:///home/u/net.grad');
  assert.equal(restoredGradUri({ uri: 'untitled:Untitled-1.grad' }), 'untitled:Untitled-1.grad');
  assert.equal(restoredGradUri({ uri: 'file:///home/u/My%20Net.GRAD' }), 'file:///home/u/My%20Net.GRAD');
  for (const state of [
    { uri: 'file:///etc/passwd' },
    { uri: 'file:///home/u/net.grad.py' },
    { uri: 'https://example.com/net.grad' },
    { uri: 'command:workbench.action.terminal.new?x.grad' },
    { uri: 'file:///home/u/%E0%A4%A.grad' },
    { uri: 42 },
    { uri: 'net.grad' },
    null,
    undefined,
    'file:///home/u/net.grad',
  ]) {
    assert.equal(restoredGradUri(state), null, JSON.stringify(state));
  }
});
