/**
 * OAuth clients as the provider sees them, cached per process: oidc-provider looks the client up on
 * every protocol request. Entries are dropped when PostgreSQL announces a change (LISTEN/NOTIFY on
 * `renkei_client_changed`, see the migration 1003), and expire after `ttlMs` anyway, which bounds
 * staleness should a notification ever be missed.
 */
export class ClientCache<T> {
  private readonly entries = new Map<string, { value: T | undefined; at: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(opts: { ttlMs: number; maxEntries?: number }) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  async get(id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.entries.get(id);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const value = await load();
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(id, { value, at: Date.now() });
    return value;
  }

  /** A client id, or '*' for everything (a partner changed, or notifications may have been missed). */
  invalidate(idOrAll: string): void {
    if (idOrAll === '*') this.entries.clear();
    else this.entries.delete(idOrAll);
  }
}
