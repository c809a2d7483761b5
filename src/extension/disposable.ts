// One way to own resources (as vscode-hexeditor does): a class registers what it creates or
// subscribes to, and disposing it disposes all of them once, in reverse order. A resource
// registered after disposal is disposed at once, so a late subscription cannot leak.
import type * as vscode from 'vscode';

export class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private disposed = false;

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Takes ownership of `d` (returned, for `this.x = this.register(…)`). */
  protected register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.owned.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.owned.splice(0).reverse()) d.dispose();
  }
}
