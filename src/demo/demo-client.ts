import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { DEMO_PARTNER } from '../db/seed/demo-data.ts';

/**
 * The OAuth side of the partner demo かんたん家計簿 (DESIGN §9): its client registration in
 * `oauth_clients`, its private_key_jwt key kept in DATA_DIR, and an openid-client v6 configuration
 * that talks to this very server over HTTPS, trusting only the server's own certificate.
 */

/** Fixed, so restarts and several instances share one registration. */
export const DEMO_CLIENT_ID = 'kantan-kakeibo-demo';
export const DEMO_SCOPES = ['openid', 'offline_access', 'balances', 'transactions'] as const;
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
 * ES256, DPoP-bound tokens, 利用業務 balances + transactions, 利用業務 selection shown), or brings an
 * existing row up to date when the key or the public URL changed. Needs the seeded demo partner.
 */
export async function ensureDemoClient(db: Kysely<Database>, config: Pick<Config, 'publicUrl'>, key: DemoClientKey): Promise<void> {
  const metadata = {
    client_id: DEMO_CLIENT_ID,
    client_name: DEMO_PARTNER.serviceName,
    redirect_uris: [demoRedirectUri(config)],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    dpop_bound_access_tokens: true,
    jwks: { keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] },
    scope: DEMO_SCOPES.join(' '),
  };
  const existing = await db.selectFrom('oauth_clients').select(['metadata']).where('client_id', '=', DEMO_CLIENT_ID).executeTakeFirst();
  if (existing) {
    // jsonb keeps its own key order: compare canonically.
    if (canonical(existing.metadata) !== canonical(metadata)) {
      await db.updateTable('oauth_clients').set({ metadata: JSON.stringify(metadata), updated_at: new Date() })
        .where('client_id', '=', DEMO_CLIENT_ID).execute();
    }
    return;
  }
  const partner = await db.selectFrom('partners').select('id').where('legal_name', '=', DEMO_PARTNER.legalName)
    .where('service_name', '=', DEMO_PARTNER.serviceName).executeTakeFirst();
  if (!partner) throw new Error('the demo partner is missing: seed the demo data first (npm run db:seed)');
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

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The demo only ever calls its own server on this machine. */
export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK.has(new URL(url).hostname);
}

export interface DemoOAuth {
  /** openid-client configuration, discovered on first use. */
  configuration(): Promise<client.Configuration>;
  /** fetch trusting only the server's certificate (loopback only). */
  fetch: typeof undiciFetch;
  close(): Promise<void>;
}

/**
 * An openid-client v6 client of this server: discovery (once, on first use, since the server is not
 * listening yet when the plugin registers), private_key_jwt, and every request through an undici
 * Agent whose only trusted CA is the server's certificate.
 */
export function createDemoOAuth(opts: { issuer: string; serverCertificate: string; key: DemoClientKey }): DemoOAuth {
  if (!isLoopbackUrl(opts.issuer)) throw new Error(`the demo client only calls a loopback issuer, not ${opts.issuer}`);
  const agent = new Agent({ connect: { ca: opts.serverCertificate } });
  const trustingFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  let discovered: Promise<client.Configuration> | undefined;
  return {
    fetch: trustingFetch,
    configuration() {
      discovered ??= client.discovery(
        new URL(opts.issuer), DEMO_CLIENT_ID,
        { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256' },
        client.PrivateKeyJwt({ key: opts.key.privateKey, kid: opts.key.kid }),
        { [client.customFetch]: trustingFetch as unknown as client.CustomFetch },
      ).catch((err: unknown) => {
        discovered = undefined; // try again on the next request
        throw err;
      });
      return discovered;
    },
    close: () => agent.close(),
  };
}
