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
// BENCH_TRACE_SQL=1: each trace also carries the statements' text (which round trips a request made).
const sqlTexts: string[] | undefined = process.env.BENCH_TRACE_SQL === '1' ? [] : undefined;
const clientProto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const originalQuery = clientProto.query;
clientProto.query = function countedQuery(this: unknown, ...args: unknown[]) {
  queries++;
  if (sqlTexts) {
    const q = args[0];
    const values = Array.isArray(args[1]) ? args[1] : (q as { values?: unknown[] } | undefined)?.values;
    // The first parameter too: for oidc_payloads statements it names the model.
    const first = typeof values?.[0] === 'string' && values[0].length <= 40 ? ` -- $1=${values[0]}` : '';
    sqlTexts.push(`${typeof q === 'string' ? q : String((q as { text?: string }).text ?? '?')}${first}`);
  }
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
    const s0 = sqlTexts?.length ?? 0;
    res.once('finish', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const statements = sqlTexts?.slice(s0);
      process.send!({ type: 'trace', method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6, queries: queries - q0, location: res.getHeader('location') ?? null, ...(statements ? { sql: statements } : {}) });
    });
  });
}


// BENCH_RESET_PAYLOADS=1 (bench token): every sample starts from an empty oidc_payloads table, as a
// long-running server's cleanup (src/oidc/payload-cleanup.ts) would keep it, instead of inheriting the
// previous samples' tens of thousands of codes, grants and refresh tokens (which outgrow
// shared_buffers within one run and make later samples slower than earlier ones).
if (process.env.BENCH_RESET_PAYLOADS === '1') {
  await database.db.deleteFrom('oidc_payloads').execute();
  await sql`vacuum analyze oidc_payloads`.execute(database.db);
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
