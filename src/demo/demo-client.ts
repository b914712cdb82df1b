import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Config } from '../config/config.schema.ts';
import type { Db } from '../db/transaction.ts';
import { findPartnerByNames } from '../partners/partners.repository.ts';
import { SCOPE } from '../shared/scopes.ts';

/**
 * The registration of the partner demo かんたん家計簿 (DESIGN §9): its client in `oauth_clients` and
 * its private_key_jwt key kept in DATA_DIR.
 */

/** Fixed, so restarts and several instances share one registration. */
export const DEMO_CLIENT_ID = 'kantan-kakeibo-demo';
export const DEMO_SCOPES = [SCOPE.openid, SCOPE.offlineAccess, SCOPE.balances, SCOPE.transactions, SCOPE.transfers] as const;
/**
 * Who the demo is at the bank: the API連携先 whose app it is, named as the bank registered it
 * (legal name and service name identify a partner). The bank's data, not this constant, is what the
 * pages show.
 */
export const DEMO_PARTNER_NAMES = { legalName: '株式会社 入出金情報提供', serviceName: 'かんたん家計簿' } as const;
const KEY_FILE = 'demo-client-key.json';

export interface DemoClientKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The demo client's ES256 signing key: generated once and kept (mode 0600) in `dir`, as
 * local-secrets.ts keeps the cookie keys, so a restart keeps the registered JWKS valid.
 */
export async function loadOrCreateDemoClientKey(dir: string): Promise<DemoClientKey> {
  const file = path.join(dir, KEY_FILE);
  let stored: { kid?: string; privateJwk?: JWK } = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // first start
  }
  if (stored.kid && stored.privateJwk?.d) {
    const privateKey = await importJWK(stored.privateJwk, 'ES256') as CryptoKey;
    const { d: _d, ...publicJwk } = stored.privateJwk;
    return { kid: stored.kid, privateKey, publicJwk };
  }
  const pair = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(pair.privateKey);
  const kid = randomUUID();
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify({ kid, privateJwk }, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode applies only when it creates the file
  return { kid, privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
}

/** The redirect URI of the demo: on this server's own public origin. */
export const demoRedirectUri = (config: Pick<Config, 'publicUrl'>) => `${config.publicUrl}/demo/callback`;

/**
 * Registers the demo client for the demo partner as the bank's onboarding would (private_key_jwt with
 * ES256, DPoP-bound tokens, 利用業務 balances + transactions + transfers, 利用業務 selection shown), or brings an
 * existing row up to date when the key or the public URL changed. Needs the seeded demo partner.
 */
export async function ensureDemoClient(db: Db, config: Pick<Config, 'publicUrl'>, key: DemoClientKey): Promise<void> {
  const partner = await findPartnerByNames(db, DEMO_PARTNER_NAMES);
  if (!partner) throw new Error('the demo partner is missing or suspended: seed the demo data first (npm run db:seed)');
  const metadata = {
    client_id: DEMO_CLIENT_ID,
    client_name: partner.serviceName,
    redirect_uris: [demoRedirectUri(config)],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    dpop_bound_access_tokens: true,
    jwks: { keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] },
    scope: DEMO_SCOPES.join(' '),
  };
  const existing = await db.selectFrom('oauth_clients').select(['metadata', 'allowed_scopes']).where('client_id', '=', DEMO_CLIENT_ID).executeTakeFirst();
  if (existing) {
    // jsonb keeps its own key order: compare canonically. A registration from before a scope was added gains it.
    if (canonical(existing.metadata) !== canonical(metadata) || canonical(existing.allowed_scopes) !== canonical(DEMO_SCOPES)) {
      await db.updateTable('oauth_clients').set({ metadata: JSON.stringify(metadata), allowed_scopes: [...DEMO_SCOPES], updated_at: new Date() })
        .where('client_id', '=', DEMO_CLIENT_ID).execute();
    }
    return;
  }
  await db.insertInto('oauth_clients').values({
    client_id: DEMO_CLIENT_ID,
    partner_id: partner.id,
    metadata: JSON.stringify(metadata),
    allowed_scopes: [...DEMO_SCOPES],
    show_business_selection: true,
  }).onConflict((oc) => oc.column('client_id').doNothing()).execute();
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
