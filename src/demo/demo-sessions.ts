import { randomBytes } from 'node:crypto';
import type { CryptoKeyPair, DPoPHandle } from 'openid-client';

/** What the demo keeps about one browser: never sent to it (the cookie carries only the id). */
export interface DemoSession {
  id: string;
  expiresAt: number;
  /** Between 口座を連携する and the callback: the PKCE verifier and the state of the pushed request. */
  pending?: { state: string; codeVerifier: string };
  /** The session's DPoP key (RFC 9449): the tokens are bound to it. */
  dpopKeys?: CryptoKeyPair;
  dpop?: DPoPHandle;
  tokens?: { accessToken: string; refreshToken?: string | undefined; expiresAt: number; scope: string };
  /** Newest statement date per account, found once (see demo-statements.ts). */
  newestDate?: Map<string, string>;
  /** The transfers this session asked for (振込依頼), to link their status. */
  transfers?: { applyNo: string; accountId: string; amount: string; requestedAt: string }[];
}

/**
 * Demo sessions in memory, with an idle expiry and a size cap (oldest evicted first).
 *
 * Acceptable for the demo only: a restart forgets every linked session (the user simply links again),
 * and several renkei instances behind a load balancer would not share them. A real partner keeps
 * tokens in its own encrypted store. The refresh tokens here stay valid at the bank until revoked or
 * the grant expires, which is why 連携を解除する revokes them.
 */
export class DemoSessions {
  private readonly sessions = new Map<string, DemoSession>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(opts: { ttlMs?: number; max?: number } = {}) {
    this.ttlMs = opts.ttlMs ?? 60 * 60_000;
    this.max = opts.max ?? 10_000;
  }

  create(): DemoSession {
    while (this.sessions.size >= this.max) this.sessions.delete(this.sessions.keys().next().value!);
    const s: DemoSession = { id: randomBytes(32).toString('base64url'), expiresAt: Date.now() + this.ttlMs };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session with this id, its expiry pushed back (and moved to the newest end). */
  get(id: string | undefined): DemoSession | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    this.sessions.delete(id);
    if (s.expiresAt <= Date.now()) return undefined;
    s.expiresAt = Date.now() + this.ttlMs;
    this.sessions.set(id, s);
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
