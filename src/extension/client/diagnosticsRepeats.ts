// The language server publishes a document's diagnostics with every analysis, an empty list for a
// clean file (its version changed, and other LSP clients expect a list per version). In VS Code each
// list is converted by vscode-languageclient and forwarded to the window on the extension host's
// main thread, where the markers and the Problems panel are updated: at every keystroke in a clean
// file, for nothing. An empty list after an empty list changes nothing the editor shows, whatever
// the versions, so it is not passed on. A non-empty list always is: its ranges are the new text's,
// while the editor moved the older markers with the edit. (When the client clears its collection —
// a restarted server — every document is empty: what this remembers still holds.)
export class DiagnosticsRepeats {
  /** Documents whose last list passed on was empty (what the client's collection holds for them). */
  private readonly empty = new Set<string>();

  /** Whether a list of `count` diagnostics for `uri` changes nothing; remembers what it lets through. */
  unchanged(uri: string, count: number): boolean {
    if (count > 0) {
      this.empty.delete(uri);
      return false;
    }
    if (this.empty.has(uri)) return true;
    this.empty.add(uri);
    return false;
  }
}
