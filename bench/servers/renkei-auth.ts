import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { openConfiguredDb } from '../../src/db/create-db.ts';
import { createAuthorizationServer } from '../../src/oidc/authorization-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { resolveLocalSecrets } from '../../src/shared/local-secrets.ts';
import { loadServerTls } from '../../src/tls/server-certificate.ts';
import { mutualTlsOptions } from '../../src/tls/mutual-tls.ts';
import { caCertificatesPem, loadBankCa } from '../../src/certificates/bank-ca.ts';
import { serveIpc } from '../lib/ipc-server.ts';
import { mintCodes, type MintSpec } from '../lib/mint-codes.ts';

/**
 * The subject of `bench token` and `bench journey`: renkei composed exactly as src/server.ts composes
 * it (configuration from the environment, the configured database, the authorization server, both
 * HTTPS listeners), plus a control channel for the bench: `mint` (authorization codes through the
 * provider's own models, so through the PostgreSQL adapter), `stats` (database round trips so far).
 * With BENCH_TRACE=1 every request on the main listener is reported (server time, round trips).
 *
 * Round trips are counted at the pg driver: every `query` any pooled client sends (Kysely's
 * statements, BEGIN/COMMIT of transactions), the unit a network round trip to PostgreSQL costs.
 */
let queries = 0;
const clientProto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const originalQuery = clientProto.query;
clientProto.query = function countedQuery(this: unknown, ...args: unknown[]) {
  queries++;
  return originalQuery.apply(this, args);
};

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const secrets = await resolveLocalSecrets(config);
const database = await openConfiguredDb(config);
const hostnames = [new URL(config.publicUrl).hostname, new URL(config.mtlsPublicUrl).hostname].map((h) => h.replace(/^\[|\]$/g, ''));
const tls = await loadServerTls({ ...(config.tls ? { certFile: config.tls.certFile, keyFile: config.tls.keyFile } : {}), dataDir: config.dataDir, hostnames });
const bankCa = await loadBankCa(database.db, { keyEncryptionKey: secrets.keyEncryptionKey, files: config.ca });
const base = { config, db: database.db, logger, secrets: { cookieKeys: secrets.cookieKeys, keyEncryptionKey: secrets.keyEncryptionKey }, bankCa };
// As src/server.ts: the client cache listens for changes on the database.
const provider = await createAuthorizationServer({ ...base, listen: database.listen });
const deps = { ...base, provider };
const tlsBase = { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' as const };
const main = await buildApp(deps, { listener: 'main', https: tlsBase });
const mtls = await buildApp(deps, { listener: 'mtls', https: await mutualTlsOptions(tlsBase, { bankCaPem: caCertificatesPem(bankCa), partnerCaFile: config.partnerCaFile }) });

if (process.env.BENCH_TRACE === '1') {
  // Sequential journeys only: the round trips between a request's arrival and its response's end are its own.
  main.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const t0 = process.hrtime.bigint();
    const q0 = queries;
    res.once('finish', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      process.send!({ type: 'trace', method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6, queries: queries - q0, location: res.getHeader('location') ?? null });
    });
  });
}

applyExperiments((process.env.BENCH_EXPERIMENT ?? '').split(',').filter(Boolean));

// BENCH_RESET_PAYLOADS=1 (bench token): every sample starts from an empty oidc_payloads table, as a
// long-running server's cleanup (src/oidc/payload-cleanup.ts) would keep it, instead of inheriting the
// previous samples' tens of thousands of codes, grants and refresh tokens (which outgrow
// shared_buffers within one run and make later samples slower than earlier ones).
if (process.env.BENCH_RESET_PAYLOADS === '1') {
  await database.db.deleteFrom('oidc_payloads').execute();
  await sql`vacuum analyze oidc_payloads`.execute(database.db);
}

/**
 * What-if variants for the report, never the default: each simulates one proposed change in src/
 * so its gain is measured rather than guessed.
 * - client-cache: Client adapter `find` answered from memory for 30 s (src/oidc/adapter.ts clientAdapter).
 * - replay-1rt: ReplayDetection.unique as one INSERT … ON CONFLICT instead of find + upsert (two round trips).
 */
function applyExperiments(names: string[]): void {
  for (const name of names) {
    if (name === 'client-cache') {
      const adapter = (provider.Client as unknown as { adapter: { find(id: string): Promise<unknown> } }).adapter;
      const find = adapter.find.bind(adapter);
      const cache = new Map<string, { at: number; value: Promise<unknown> }>();
      adapter.find = (id) => {
        const hit = cache.get(id);
        if (hit && Date.now() - hit.at < 30_000) return hit.value;
        const value = find(id);
        cache.set(id, { at: Date.now(), value });
        return value;
      };
    } else if (name === 'replay-1rt') {
      (provider.ReplayDetection as unknown as { unique(iss: string, jti: string, exp: number): Promise<boolean> }).unique = async (iss, jti, exp) => {
        const id = createHash('sha256').update(`${iss}${jti}`).digest('base64url');
        const now = Math.floor(Date.now() / 1000);
        const r = await database.db.insertInto('oidc_payloads')
          .values({ model: 'ReplayDetection', id, payload: JSON.stringify({ iat: now, exp, kind: 'ReplayDetection', jti: id, iss }), expires_at: new Date(exp * 1000) })
          // A row of an expired proof may be reused; a live one means a replay.
          .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet((eb) => ({ payload: eb.ref('excluded.payload'), expires_at: eb.ref('excluded.expires_at') }))
            .where('oidc_payloads.expires_at', '<', sql<Date>`now() - make_interval(secs => 15)`))
          .executeTakeFirst();
        return r.numInsertedOrUpdatedRows! > 0n;
      };
    } else {
      throw new Error(`unknown BENCH_EXPERIMENT ${name}`);
    }
  }
}

await main.listen({ host: config.host, port: config.port });
await mtls.listen({ host: config.host, port: config.mtlsPort });

serveIpc({
  stats: () => ({ queries }),
  async mint(args) {
    const spec = args.spec as MintSpec;
    const count = Number(args.count);
    const t0 = performance.now();
    const q0 = queries;
    const { codes, grantIds } = await mintCodes(provider, spec, count);
    // The bank's own record of each consent (recordConsent): one active grant per user and client,
    // so as after that many successive journeys every earlier one is 'replaced by a new consent'.
    // Nothing on the token endpoint reads these rows; they only keep the tables as a journey leaves them.
    const db = database.db;
    await db.updateTable('grants')
      .set({ revoked_at: sql<Date>`now()`, revoked_by: 'system', revoke_reason: 'replaced by a new consent' })
      .where('user_id', '=', spec.accountId).where('client_id', '=', spec.clientId).where('revoked_at', 'is', null)
      .execute();
    const now = new Date();
    const expires = new Date(now.getTime() + spec.grantSeconds * 1000);
    const scopes = [...spec.resourceScope.split(' '), ...(spec.oidcScope.split(' ').includes('offline_access') ? ['offline_access'] : [])];
    for (let i = 0; i < grantIds.length; i += 1000) {
      const chunk = grantIds.slice(i, i + 1000);
      await db.insertInto('grants').values(chunk.map((oidcGrantId, j) => ({
        user_id: spec.accountId, client_id: spec.clientId, oidc_grant_id: oidcGrantId, scopes, granted_at: now, expires_at: expires,
        ...(i + j === grantIds.length - 1 ? {} : { revoked_at: now, revoked_by: 'system' as const, revoke_reason: 'replaced by a new consent' }),
      }))).execute();
    }
    return { codes, ms: performance.now() - t0, queries: queries - q0 };
  },
});

process.on('SIGTERM', () => {
  void Promise.allSettled([main.close(), mtls.close()]).then(() => database.close()).then(() => process.exit(0));
});
process.send!({ type: 'ready' });
