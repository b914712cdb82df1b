import { AsyncLocalStorage } from 'node:async_hooks';
import { decodeProtectedHeader, calculateJwkThumbprint, type JWK } from 'jose';
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import { errors, Provider, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import { currentArtifactScope, type ArtifactScope, type KnownRow } from './artifact-scope.ts';
import { clientLookup, type ClientLookup } from './client-lookup.ts';
import { claimReplayId, REPLAY_WINDOW_S } from './token-read-ahead.ts';
import { BUSINESS_SCOPES_METADATA, disableClient, partnerOfInitialAccessToken, saveRegisteredClient } from '../partners/clients.repository.ts';
import { BUSINESS_SCOPES, OIDC_SCOPES } from '../shared/scopes.ts';

/** Models whose `consume` must succeed exactly once: the database decides races between requests. */
const SINGLE_USE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PushedAuthorizationRequest']);

export interface AdapterDeps {
  db: Kysely<Database>;
  /** Seconds a row outlives its expiry, matching the provider's clockTolerance. */
  clockTolerance: number;
  /** Clients with their partners: cached per process, dropped by LISTEN/NOTIFY (none: read every time). */
  findClient?: ClientLookup | undefined;
}

type Payload = AdapterPayload & Record<string, unknown>;

/**
 * oidc-provider's storage over one `oidc_payloads` table (logto's shape), except two models that live
 * in the bank's own tables: `Client` (oauth_clients, so the bank controls scopes and partners) and
 * `InitialAccessToken` (initial_access_tokens, hashed, one partner each).
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#adapter
 */
export function createAdapterFactory(deps: AdapterDeps) {
  const findClient = deps.findClient ?? clientLookup(deps.db, undefined);
  return (model: string): Adapter => {
    if (model === 'Client') return clientAdapter(deps.db, findClient);
    if (model === 'InitialAccessToken') return initialAccessTokenAdapter(deps);
    if (model === 'ReplayDetection') return replayDetectionAdapter(deps);
    return payloadAdapter(deps, model);
  };
}

/**
 * Whether a value the provider took from a request (a token, a client id, a uid) could name a stored
 * row: ids are printable and well-formed text. Anything else is found nowhere, without asking the
 * database, which would refuse a NUL byte (SQLSTATE 22021) instead of answering "no such row" and make
 * the endpoint answer 500; the provider then answers as for any unknown token or client.
 */
function plausibleId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 4096 && !/[\u0000-\u001f\u007f]/.test(id) && id.isWellFormed();
}

/**
 * Replay detection (client assertions, DPoP proofs) as one atomic claim. The provider asks
 * `find(id)` and, when nothing is found, saves the id: two round trips, and two concurrent requests
 * carrying the same proof could both find nothing. Here `find` inserts the id unless present, in one
 * statement: the first caller gets "not found" (and its later save is a no-op), every other caller,
 * in any process, finds the claim and the provider refuses the replay. On the token endpoint that
 * statement also claims the DPoP proof and reads what the request will ask for (token-read-ahead.ts).
 */
function replayDetectionAdapter({ db, clockTolerance }: AdapterDeps): Adapter {
  return {
    async find(id) {
      if (await claimReplayId(db, id, { clockTolerance, isPlausible: plausibleId })) return undefined;
      const now = Math.floor(Date.now() / 1000);
      return { jti: id, kind: 'ReplayDetection', iat: now, exp: now + REPLAY_WINDOW_S } as AdapterPayload;
    },
    upsert: async () => {},
    destroy: async (id) => { await db.deleteFrom('oidc_payloads').where('model', '=', 'ReplayDetection').where('id', '=', id).execute(); },
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => {},
    revokeByGrantId: async () => {},
  };
}

/** The bank transaction the provider's own writes join while `fn` runs (see providerWritesIn). */
const enclosingTransaction = new AsyncLocalStorage<{ trx?: Transaction<Database> | undefined }>();

/**
 * Runs `fn` with every oidc_payloads read and write of the provider (e.g. `grant.save()`) inside the
 * bank's transaction `trx`: the provider's artifacts then commit, or vanish, with the bank's rows.
 */
export function providerWritesIn<T>(trx: Transaction<Database>, fn: () => Promise<T>): Promise<T> {
  const scope: { trx?: Transaction<Database> | undefined } = { trx };
  // Work `fn` leaves running (an event listener) must not write through a finished transaction.
  return enclosingTransaction.run(scope, fn).finally(() => { scope.trx = undefined; });
}

/** The provider's view of a stored row: its payload, with `consumed` when it was consumed. */
function asFound(row: KnownRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  return { ...row.payload, ...(row.consumedAt ? { consumed: Math.floor(row.consumedAt.getTime() / 1000) } : {}) } as AdapterPayload;
}

function payloadAdapter(deps: AdapterDeps, model: string): Adapter {
  const { clockTolerance } = deps;
  const inTransaction = () => enclosingTransaction.getStore()?.trx;
  // Read per call: the same adapter serves requests inside and outside a bank transaction.
  const on = (): Kysely<Database> => inTransaction() ?? deps.db;
  /**
   * The request's identity map (src/oidc/artifact-scope.ts), outside bank transactions only: a row
   * read or written inside one could still roll back, so there the database is always asked.
   */
  const scope = () => (inTransaction() ? undefined : currentArtifactScope());
  const live = (eb: ExpressionBuilder<Database, 'oidc_payloads'>) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now() - make_interval(secs => ${clockTolerance})`)]);
  const findWhere = async (column: 'id' | 'uid' | 'user_code', value: string) => {
    if (!plausibleId(value)) return undefined;
    const known = scope();
    const cached = column === 'id' ? known?.get(model, value) : column === 'uid' ? known?.getByUid(model, value) : undefined;
    if (cached !== undefined) return asFound(cached);
    if (model === 'Interaction' && column === 'id' && known) return findInteractionWithSession(value, known);
    const row = await on()
      .selectFrom('oidc_payloads')
      .select(['id', 'payload', 'consumed_at'])
      .where('model', '=', model)
      .where(column, '=', value)
      .where(live)
      .executeTakeFirst();
    const found: KnownRow = row ? { payload: row.payload as AdapterPayload, consumedAt: row.consumed_at } : null;
    if (!known || (!row && column !== 'id')) return asFound(found);
    // Kept as read; the provider gets a copy (it changes what it is given).
    known.set(model, row?.id ?? value, found);
    return asFound(known.get(model, row?.id ?? value));
  };
  /**
   * An interaction and the session it names, in one statement: the provider's interactionDetails
   * reads one and then the other (Session.findByUid), which then comes from the request's scope.
   */
  const findInteractionWithSession = async (id: string, known: ArtifactScope) => {
    const row = await deps.db
      .selectFrom('oidc_payloads as i')
      .leftJoin('oidc_payloads as s', (j) => j
        .on('s.model', '=', 'Session')
        .on('s.uid', '=', sql<string>`i.payload -> 'session' ->> 'uid'`)
        .on((eb) => eb.or([eb('s.expires_at', 'is', null), eb('s.expires_at', '>', sql<Date>`now() - make_interval(secs => ${clockTolerance})`)])))
      .select(['i.payload', 'i.consumed_at', 's.id as session_id', 's.payload as session_payload', 's.consumed_at as session_consumed_at'])
      .where('i.model', '=', 'Interaction')
      .where('i.id', '=', id)
      .where((eb) => eb.or([eb('i.expires_at', 'is', null), eb('i.expires_at', '>', sql<Date>`now() - make_interval(secs => ${clockTolerance})`)]))
      .executeTakeFirst();
    const found: KnownRow = row ? { payload: row.payload as AdapterPayload, consumedAt: row.consumed_at } : null;
    known.set('Interaction', id, found);
    if (row?.session_id && row.session_payload) known.set('Session', row.session_id, { payload: row.session_payload as AdapterPayload, consumedAt: row.session_consumed_at });
    return asFound(known.get('Interaction', id));
  };
  return {
    async upsert(id, payload, expiresIn) {
      const p = model === 'RefreshToken' ? await bindRefreshTokenToProofKey(payload as Payload) : payload;
      await on()
        .insertInto('oidc_payloads')
        .values({
          model, id, payload: JSON.stringify(p),
          grant_id: typeof p.grantId === 'string' ? p.grantId : null,
          uid: model === 'Session' && typeof p.uid === 'string' ? p.uid : null,
          user_code: model === 'DeviceCode' && typeof p.userCode === 'string' ? p.userCode : null,
          expires_at: typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null,
        })
        .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet((eb) => ({
          payload: eb.ref('excluded.payload'), grant_id: eb.ref('excluded.grant_id'), uid: eb.ref('excluded.uid'),
          user_code: eb.ref('excluded.user_code'), expires_at: eb.ref('excluded.expires_at'),
        })))
        .execute();
      // An upsert leaves consumed_at as it was.
      if (inTransaction()) currentArtifactScope()?.forget(model, id);
      else {
        // A copy: the provider goes on using the object it saved.
        const known = currentArtifactScope();
        known?.set(model, id, { payload: structuredClone(p), consumedAt: known.get(model, id)?.consumedAt ?? null });
      }
    },
    find: (id) => findWhere('id', id),
    findByUid: (uid) => findWhere('uid', uid),
    findByUserCode: (code) => findWhere('user_code', code),
    async consume(id) {
      const r = await on()
        .updateTable('oidc_payloads')
        .set({ consumed_at: sql<Date>`now()` })
        .where('model', '=', model).where('id', '=', id).where('consumed_at', 'is', null)
        .executeTakeFirst();
      // The provider does find → check → consume; two concurrent requests could both pass the check.
      if (SINGLE_USE.has(model) && r.numUpdatedRows === 0n) {
        throw model === 'PushedAuthorizationRequest'
          ? new errors.InvalidRequestUri('request_uri already used')
          : new errors.InvalidGrant(`${model} already consumed`);
      }
      currentArtifactScope()?.forget(model, id);
    },
    async destroy(id) {
      await on().deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
      if (inTransaction()) currentArtifactScope()?.forget(model, id);
      else currentArtifactScope()?.set(model, id, null);
    },
    async revokeByGrantId(grantId) {
      await on().deleteFrom('oidc_payloads').where('model', '=', model).where('grant_id', '=', grantId).execute();
      currentArtifactScope()?.forgetModel(model);
    },
  };
}

/**
 * FAPI 2.0 clients are confidential, and oidc-provider binds refresh tokens to the DPoP key only for
 * public clients. We bind them for everyone (DESIGN §7: refresh tokens stay bound to the DPoP key):
 * the provider validated the request's proof before saving the token, so its key is the client's.
 * A later refresh with another key then fails with `invalid_grant` (RFC 9449 §5 leaves this to the AS).
 */
async function bindRefreshTokenToProofKey(payload: Payload): Promise<Payload> {
  if (payload.jkt || payload['x5t#S256']) return payload;
  const ctx = Provider.ctx;
  // The access token issued in the same request already carries the proof key's thumbprint.
  const atJkt = (ctx?.oidc?.entities?.AccessToken as { jkt?: string } | undefined)?.jkt;
  if (atJkt) return { ...payload, jkt: atJkt };
  const proof = ctx?.get('dpop');
  if (!proof) return payload;
  const { jwk } = decodeProtectedHeader(proof);
  if (!jwk) return payload;
  return { ...payload, jkt: await calculateJwkThumbprint(jwk as JWK) };
}

/**
 * Metadata the bank enforces on every client, whatever it registered (DESIGN §7). oidc-provider's
 * `scope` metadata may only name OIDC scopes, so the 利用業務 the bank allows travel separately as
 * BUSINESS_SCOPES_METADATA, which the resource server info reads.
 */
function clientPayload(metadata: Record<string, unknown>, allowedScopes: string[]): AdapterPayload {
  const certificateBound = metadata.tls_client_certificate_bound_access_tokens === true;
  return {
    ...metadata,
    // oidc-provider refuses an empty `scope`: a client allowed API scopes only has none for it.
    scope: allowedScopes.filter((s) => OIDC_SCOPES.includes(s)).join(' ') || undefined,
    [BUSINESS_SCOPES_METADATA]: allowedScopes.filter((s) => (BUSINESS_SCOPES as readonly string[]).includes(s)).join(' '),
    // Sender-constrained access tokens are required: DPoP unless the client binds to its certificate.
    dpop_bound_access_tokens: !certificateBound,
    require_pushed_authorization_requests: true,
  } as AdapterPayload;
}

/**
 * The partner a registration's initial access token belongs to. The demo's token (INITIAL_ACCESS_TOKEN
 * or the generated one) is an ordinary row too: the demo seeding registers it for the demo partner.
 */
async function partnerForToken(db: Kysely<Database>, token: string): Promise<{ partnerId: string; exp?: number } | undefined> {
  const found = await partnerOfInitialAccessToken(db, token);
  if (!found) return undefined;
  return { partnerId: found.partnerId, ...(found.expiresAt ? { exp: Math.floor(found.expiresAt.getTime() / 1000) } : {}) };
}

function clientAdapter(db: Kysely<Database>, findClient: ClientLookup): Adapter {
  return {
    async find(id) {
      if (!plausibleId(id)) return undefined;
      const client = await findClient(id);
      return client ? clientPayload(client.metadata, client.allowedScopes) : undefined;
    },
    async upsert(id, payload) {
      const iat = Provider.ctx?.oidc?.entities?.InitialAccessToken as { jti?: string } | undefined;
      const partner = iat?.jti ? await partnerForToken(db, iat.jti) : undefined;
      await saveRegisteredClient(db, id, payload as Record<string, unknown>, partner?.partnerId);
      findClient.forget(id);
    },
    async destroy(id) {
      await disableClient(db, id);
      findClient.forget(id);
    },
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => {},
    revokeByGrantId: async () => {},
  };
}

function initialAccessTokenAdapter(deps: AdapterDeps): Adapter {
  return {
    async find(id) {
      if (!plausibleId(id)) return undefined;
      const partner = await partnerForToken(deps.db, id);
      if (!partner) return undefined;
      return {
        jti: id, kind: 'InitialAccessToken', iat: Math.floor(Date.now() / 1000) - 1, policies: ['renkei-partner'],
        ...(partner.exp ? { exp: partner.exp } : {}),
      } as AdapterPayload;
    },
    // Initial access tokens are issued by the bank's CLI, never by the provider.
    upsert: async () => { throw new Error('initial access tokens are issued with `npm run cli -- iat issue`'); },
    destroy: async () => {},
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => {},
    revokeByGrantId: async () => {},
  };
}
