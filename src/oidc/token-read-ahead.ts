import { hash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { sql, type Kysely } from 'kysely';
import { Provider, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import { userIsActive } from '../business-id/account-access.ts';
import type { Database } from '../db/database.ts';
import { preparedQuery } from '../db/prepared-query.ts';
import { currentArtifactScope } from './artifact-scope.ts';

/**
 * The token endpoint's reads and replay claims in one statement (issue 15). oidc-provider asks the
 * database one thing at a time: the client assertion's jti, the code (or refresh token), its grant,
 * the user, the DPoP proof's jti — five round trips before it writes anything. The first of them, the
 * assertion's replay claim, comes right after the client has proved who it is; at that moment the
 * request already names everything the others will ask for, so that one statement also
 *
 * - claims the DPoP proof's jti (the id the provider will ask for: hash of client id and jti), and
 * - reads the grant source, its grant and whether its user is active, into the request's identity map
 *   (artifact-scope.ts), where the adapter finds them instead of asking again.
 *
 * Nothing is decided from memory: the claims are the same atomic INSERT … ON CONFLICT in PostgreSQL
 * (durable, shared by every process), the rows are read in this request, and the code's single use is
 * still decided by the adapter's conditional UPDATE. One difference is deliberate: the proof's jti is
 * claimed before the provider has verified the proof and even if the request then fails. Only a client
 * that has just authenticated can cause that, and a proof may be used once anyway (RFC 9449 §11.1).
 */

/** Longer than any proof or assertion the provider accepts, so a claimed jti outlives its usefulness. */
export const REPLAY_WINDOW_S = 900;

/** What this request's statement settled beyond the id it was asked for. */
interface Settled {
  /** The DPoP proof's replay id, and whether this request claimed it (false once answered). */
  proofs: Map<string, boolean>;
  /** The grant source's user as read in this request (its accountId → active), for findAccount. */
  accounts: Map<string, boolean>;
}

const settled = new WeakMap<object, Settled>();

type Row = {
  claimed: string[];
  source_id: string | null;
  source_payload: AdapterPayload | null;
  source_consumed_at: Date | null;
  source_grant_id: string | null;
  grant_id: string | null;
  grant_payload: AdapterPayload | null;
  grant_consumed_at: Date | null;
  user_id: string | null;
  user_active: boolean | null;
};

const UUID_RE = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/**
 * Claims `ids` (replay detection) and, when `model` and `id` name one, reads that grant source (alive
 * as the adapter's reads define it), its grant and its user. Always one row.
 */
const claimAndReadAhead = preparedQuery('token-claims-read-ahead', ['ids', 'model', 'id', 'tolerance'], (db, param) => {
  const live = (alias: string) => sql`(${sql.ref(`${alias}.expires_at`)} is null or ${sql.ref(`${alias}.expires_at`)} > now() - make_interval(secs => ${param('tolerance')}::int))`;
  return {
    compile: () => sql<Row>`
      with claimed as (
        insert into oidc_payloads (model, id, payload, expires_at)
        select 'ReplayDetection', c.id, jsonb_build_object('jti', c.id, 'kind', 'ReplayDetection'), now() + make_interval(secs => ${REPLAY_WINDOW_S})
        from unnest(${param('ids')}::text[]) as c(id)
        on conflict (model, id) do nothing
        returning id
      ), source as (
        select s.id, s.payload, s.consumed_at, s.grant_id from oidc_payloads s
        where s.model = ${param('model')}::text and s.id = ${param('id')}::text and ${live('s')}
      )
      select array(select id from claimed) as claimed,
        s.id as source_id, s.payload as source_payload, s.consumed_at as source_consumed_at, s.grant_id as source_grant_id,
        g.id as grant_id, g.payload as grant_payload, g.consumed_at as grant_consumed_at,
        u.id as user_id, ${userIsActive('u')} as user_active
      from (values (1)) as one (x)
      left join source s on true
      left join oidc_payloads g on g.model = 'Grant' and g.id = s.grant_id and ${live('g')}
      left join users u on u.id = case when s.payload ->> 'accountId' ~ ${UUID_RE} then (s.payload ->> 'accountId')::uuid end`.compile(db),
  };
});

/** The grant source a token request will read: the code or the refresh token it presents. */
function grantSourceOf(ctx: KoaContextWithOIDC): { model: string; id: string } | undefined {
  const params = ctx.oidc.params as Record<string, unknown> | undefined;
  if (params?.grant_type === 'authorization_code' && typeof params.code === 'string') return { model: 'AuthorizationCode', id: params.code };
  if (params?.grant_type === 'refresh_token' && typeof params.refresh_token === 'string') return { model: 'RefreshToken', id: params.refresh_token };
  return undefined;
}

/** The replay id the provider will ask for when it checks the request's DPoP proof (validate_dpop.js). */
function proofReplayId(ctx: KoaContextWithOIDC): string | undefined {
  const clientId = ctx.oidc.client?.clientId;
  const proof = ctx.get('dpop');
  if (!clientId || !proof) return undefined;
  try {
    const { jti } = decodeJwt(proof);
    return typeof jti === 'string' && jti ? hash('sha256', `${clientId}${jti}`, 'base64url') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The replay claim of `id`: true when this call claimed it (never seen), false when it was already
 * claimed (a replay). On the token and PAR endpoints the first claim carries the request's other
 * reads (above); a later claim of the proof's id is answered by what that statement settled.
 */
export async function claimReplayId(db: Kysely<Database>, id: string, opts: { clockTolerance: number; isPlausible: (id: string) => boolean }): Promise<boolean> {
  const ctx = Provider.ctx;
  const route = ctx?.oidc?.route;
  const before = ctx ? settled.get(ctx) : undefined;
  const early = before?.proofs.get(id);
  if (early !== undefined) {
    // Asked again in this request, it is claimed: as if the provider had saved it.
    before!.proofs.set(id, false);
    return early;
  }
  if (!ctx || before || (route !== 'token' && route !== 'pushed_authorization_request')) {
    const [row] = await claimAndReadAhead(db, { ids: [id], model: null, id: null, tolerance: opts.clockTolerance });
    return row!.claimed.includes(id);
  }
  const proofId = proofReplayId(ctx);
  const ids = proofId && proofId !== id ? [id, proofId] : [id];
  // Only the client assertion's claim comes before the provider reads anything (a tls_client_auth
  // client's first claim is its proof's, after the reads): only then is reading ahead worth it.
  const first = typeof ctx.oidc.params?.client_assertion === 'string' && proofId !== id;
  const scope = route === 'token' && first ? currentArtifactScope() : undefined;
  const wanted = scope ? grantSourceOf(ctx) : undefined;
  const source = wanted && opts.isPlausible(wanted.id) ? wanted : undefined;
  const [row] = await claimAndReadAhead(db, { ids, model: source?.model ?? null, id: source?.id ?? null, tolerance: opts.clockTolerance });
  const mine: Settled = { proofs: new Map(), accounts: new Map() };
  if (ids.length === 2) mine.proofs.set(proofId!, row!.claimed.includes(proofId!));
  if (scope && source) {
    scope.set(source.model, source.id, row!.source_id ? { payload: row!.source_payload!, consumedAt: row!.source_consumed_at } : null);
    if (row!.source_grant_id) {
      scope.set('Grant', row!.source_grant_id, row!.grant_id ? { payload: row!.grant_payload!, consumedAt: row!.grant_consumed_at } : null);
    }
    // Keyed as the provider will ask (the source's accountId); no such user is not active either.
    const accountId = row!.source_payload?.accountId;
    if (typeof accountId === 'string') mine.accounts.set(accountId, row!.user_id !== null && row!.user_active === true);
  }
  settled.set(ctx, mine);
  return row!.claimed.includes(id);
}

/** Whether `sub` is active as this request's read-ahead found it (undefined: not read, ask the database). */
export function activeAsReadAhead(ctx: KoaContextWithOIDC | undefined, sub: string): boolean | undefined {
  return ctx ? settled.get(ctx)?.accounts.get(sub) : undefined;
}
