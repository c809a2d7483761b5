// When to ask the client to re-request lenses or inlay hints (`workspace/codeLens/refresh`,
// `workspace/inlayHint/refresh`). Clients ask again by themselves after every edit, and a refresh
// restarts VS Code's own debounce: refreshing for an analysis the client is about to ask for
// anyway only delays what the user sees. So it refreshes only for results the client has no
// reason of its own to ask for: a rerun of text it already has (settings, Re-seed, Set Dimension
// Sizes, a restarted worker), or a result that arrived after the request that wanted it stopped
// waiting.
import type { DocumentAnalysis } from '../documentAnalyses';

interface Asked {
  /** Document version at the client's latest request. */
  version: number;
  /** Requests still waiting for their analysis (they will get the next result themselves). */
  pending: number;
  /** What the latest finished request returned. */
  served?: DocumentAnalysis;
}

export class RefreshPolicy {
  private readonly asked = new Map<string, Asked>();

  constructor(
    private readonly refresh: () => void,
    /** Whether two results give the client the same items (then a later phase of a served text needs no refresh). */
    private readonly sameItems: (a: DocumentAnalysis, b: DocumentAnalysis) => boolean = () => false,
  ) {}

  /**
   * Wraps a request: `get` returns the analysis the request answers from. A request the client
   * cancelled meanwhile (`cancelled`) is not remembered as served: the client never got its answer.
   */
  async serve(uri: string, version: number, get: () => Promise<DocumentAnalysis | undefined>, cancelled: () => boolean = () => false): Promise<DocumentAnalysis | undefined> {
    const a = this.asked.get(uri) ?? { version, pending: 0 };
    this.asked.set(uri, a);
    a.version = version;
    a.pending++;
    try {
      const r = await get();
      if (!cancelled()) a.served = r;
      return r;
    } finally {
      a.pending--;
    }
  }

  /** What the latest request for `uri` to finish uncancelled answered from (requests may finish out of order). */
  served(uri: string): DocumentAnalysis | undefined {
    return this.asked.get(uri)?.served;
  }

  /** For changes that are not analyses (a setting of the feature itself). */
  fire(): void {
    this.refresh();
  }

  closed(uri: string): void {
    this.asked.delete(uri);
  }

  onAnalysis(r: DocumentAnalysis): void {
    const a = this.asked.get(r.uri);
    // Never asked (no editor showed it yet): the client asks when one does; refreshing costs nothing.
    if (!a) return this.refresh();
    if (a.pending > 0) return; // a waiting request gets this result
    if (r.version > a.version) return; // newer text than the client asked for: its edit scheduled a request
    if (a.served === r || (a.served && this.sameItems(a.served, r))) return;
    this.refresh();
  }
}
