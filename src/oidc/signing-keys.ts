import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { openPrivateJwk as decrypt, sealPrivateJwk as encrypt } from '../shared/key-encryption.ts';

/** The algorithms the server signs with: ES256 first (cheaper to sign), PS256 for clients that need it. */
const SIGNING_ALGS = ['ES256', 'PS256'] as const;
type SigningAlg = (typeof SIGNING_ALGS)[number];

const KEY_LOCK = 7_365_101;

async function newKey(alg: SigningAlg, kek: Buffer) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'PS256' ? { modulusLength: 2048 } : {}) });
  const kid = randomUUID();
  const priv = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const pub = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, private_jwk_jwe: await encrypt(priv, kek), public_jwk: JSON.stringify(pub) };
}

/**
 * Every key the provider should hold, as private JWKs: the active key of each algorithm first (the
 * provider signs with the first key matching an algorithm), then retired keys, which stay published
 * at the JWKS endpoint so tokens they signed keep verifying. Creates the active keys on first use;
 * several processes starting together create them once (advisory lock).
 */
export async function loadSigningKeys(db: Kysely<Database>, kek: Buffer): Promise<JWK[]> {
  await ensureActiveKeys(db, kek);
  const rows = await db
    .selectFrom('signing_keys')
    .select(['private_jwk_jwe', 'status'])
    .orderBy(sql`status = 'active'`, 'desc')
    .orderBy('created_at', 'desc')
    .execute();
  return Promise.all(rows.map((r) => decrypt(r.private_jwk_jwe, kek)));
}

async function ensureActiveKeys(db: Kysely<Database>, kek: Buffer): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(KEY_LOCK)})`.execute(trx);
    const active = await trx.selectFrom('signing_keys').select('alg').where('status', '=', 'active').execute();
    for (const alg of SIGNING_ALGS) {
      if (!active.some((k) => k.alg === alg)) await trx.insertInto('signing_keys').values(await newKey(alg, kek)).execute();
    }
  });
}

/**
 * Key rotation (`npm run cli -- keys rotate`): new active keys, the previous ones retired but still
 * published, so live tokens keep verifying. Running instances pick the new keys up at their next
 * start; until then they keep signing with the retired ones, which every instance still publishes.
 * @returns the new key ids
 */
export async function rotateSigningKeys(db: Kysely<Database>, kek: Buffer): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(KEY_LOCK)})`.execute(trx);
    await trx.updateTable('signing_keys').set({ status: 'retired', retired_at: sql<Date>`now()` }).where('status', '=', 'active').execute();
    const kids: string[] = [];
    for (const alg of SIGNING_ALGS) {
      const key = await newKey(alg, kek);
      await trx.insertInto('signing_keys').values(key).execute();
      kids.push(key.kid);
    }
    return kids;
  });
}

/** Drops retired keys older than `olderThanSeconds` (longer than any token they could have signed). */
export async function purgeRetiredKeys(db: Kysely<Database>, olderThanSeconds: number): Promise<number> {
  const r = await db
    .deleteFrom('signing_keys')
    .where('status', '=', 'retired')
    .where('retired_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
