import { jwtVerify, createLocalJWKSet, SignJWT, importJWK, type JWK } from 'jose';
import { sql } from 'kysely';
import t from 'tap';
import { createAdapterFactory } from '../../../src/oidc/adapter.ts';
import { deleteExpiredPayloads } from '../../../src/oidc/payload-cleanup.ts';
import { purgeSpentProofs } from '../../../src/resource-api/spent-token-purge.ts';
import { loadSigningKeys, purgeRetiredKeys, rotateSigningKeys } from '../../../src/oidc/signing-keys.ts';
import { createTestDatabase } from '../../helpers/database.ts';

const { db } = await createTestDatabase(t);
const kek = Buffer.alloc(32, 7);

t.test('signing keys are created once, encrypted at rest, and rotation keeps old tokens verifiable', async (t) => {
  const first = await loadSigningKeys(db, kek);
  t.same(first.map((k) => k.alg).sort(), ['ES256', 'PS256']);
  t.ok(first.every((k) => k.d), 'the provider gets private keys');
  const again = await loadSigningKeys(db, kek);
  t.same(again.map((k) => k.kid).sort(), first.map((k) => k.kid).sort(), 'no new keys on a second start');
  const stored = await sql<{ text: string }>`select row_to_json(k)::text as text from signing_keys k`.execute(db);
  for (const k of first) t.notMatch(stored.rows.map((r) => r.text).join(), String(k.d), 'the private part never appears in clear');
  await t.rejects(loadSigningKeys(db, Buffer.alloc(32, 8)), 'another key-encryption key cannot read them');

  const es256 = first.find((k) => k.alg === 'ES256')!;
  const oldToken = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: es256.kid }).sign(await importJWK(es256, 'ES256'));
  const newKids = await rotateSigningKeys(db, kek);
  const after = await loadSigningKeys(db, kek);
  t.same(after.slice(0, 2).map((k) => k.kid).sort(), [...newKids].sort(), 'the new keys come first: they sign');
  t.equal(after.length, 4, 'the retired keys are still published');
  const publicSet = createLocalJWKSet({ keys: after.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }: JWK) => pub) });
  await t.resolves(jwtVerify(oldToken, publicSet), 'a token signed before the rotation still verifies');
  t.equal(await purgeRetiredKeys(db, 3600), 0, 'young retired keys are kept');
  await db.updateTable('signing_keys').set({ retired_at: new Date(Date.now() - 7200_000) }).where('status', '=', 'retired').execute();
  t.equal(await purgeRetiredKeys(db, 3600), 2, 'old retired keys are purged');
});

t.test('the adapter: upsert, find, atomic single use, expiry, grant revocation', async (t) => {
  const adapter = createAdapterFactory({ db, clockTolerance: 15 });
  const codes = adapter('AuthorizationCode');
  await codes.upsert('c1', { kind: 'AuthorizationCode', jti: 'c1', grantId: 'g1' } as never, 60);
  t.match(await codes.find('c1'), { jti: 'c1', grantId: 'g1' });
  t.notOk((await codes.find('c1'))!.consumed);
  const races = await Promise.allSettled([codes.consume('c1'), codes.consume('c1'), codes.consume('c1')]);
  t.equal(races.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one concurrent consume wins');
  t.match(races.find((r) => r.status === 'rejected'), { reason: { error: 'invalid_grant' } });
  t.ok((await codes.find('c1'))!.consumed, 'a consumed code says so');

  const sessions = adapter('Session');
  await sessions.upsert('s1', { kind: 'Session', jti: 's1', uid: 'u1' } as never, 60);
  t.match(await sessions.findByUid!('u1'), { jti: 's1' });

  await codes.upsert('old', { kind: 'AuthorizationCode', jti: 'old' } as never, 1);
  await db.updateTable('oidc_payloads').set({ expires_at: new Date(Date.now() - 60_000) }).where('id', '=', 'old').execute();
  t.equal(await codes.find('old'), undefined, 'an expired row is not found');

  const refresh = adapter('RefreshToken');
  await refresh.upsert('r1', { kind: 'RefreshToken', jti: 'r1', grantId: 'g1' } as never, 600);
  await codes.upsert('c2', { kind: 'AuthorizationCode', jti: 'c2', grantId: 'g2' } as never, 60);
  await refresh.revokeByGrantId('g1');
  t.equal(await refresh.find('r1'), undefined, 'revokeByGrantId removes the grant’s tokens');
  t.ok(await codes.find('c2'), 'and only those of that grant and model');
  await refresh.destroy('nope');
  t.pass('destroying a missing row is fine');

  const par = adapter('PushedAuthorizationRequest');
  await par.upsert('p1', { kind: 'PushedAuthorizationRequest', jti: 'p1' } as never, 60);
  await par.consume('p1');
  const reuse = await par.consume('p1').then(() => undefined, (e: { error?: string }) => e);
  t.equal(reuse?.error, 'invalid_request_uri', 'a request_uri is single use');
  t.equal(await adapter('Client').find('no-such-client'), undefined, 'unknown clients are not found');
  t.equal(await adapter('InitialAccessToken').find('no-such-token'), undefined, 'unknown initial access tokens are not found');
  await t.rejects(adapter('InitialAccessToken').upsert('x', {} as never), /cli/, 'tokens are issued by the CLI only');
});

t.test('replay detection claims an id atomically, across concurrent callers', async (t) => {
  const replay = createAdapterFactory({ db, clockTolerance: 15 })('ReplayDetection');
  const results = await Promise.all([1, 2, 3, 4].map(() => replay.find('proof-jti-hash')));
  t.equal(results.filter((r) => r === undefined).length, 1, 'exactly one caller sees it as new');
  t.ok(results.filter((r) => r !== undefined).every((r) => r!.jti === 'proof-jti-hash'), 'the others find it: a replay');
  await replay.upsert('proof-jti-hash', {} as never, 60);
  t.ok(await replay.find('proof-jti-hash'), 'still claimed after the provider saves it');
});

t.test('expired rows are cleaned up, live ones kept', async (t) => {
  const adapter = createAdapterFactory({ db, clockTolerance: 15 });
  await adapter('Interaction').upsert('live', { kind: 'Interaction', jti: 'live' } as never, 600);
  await adapter('Interaction').upsert('dead', { kind: 'Interaction', jti: 'dead' } as never, 600);
  await db.updateTable('oidc_payloads').set({ expires_at: new Date(Date.now() - 3_600_000) }).where('id', '=', 'dead').execute();
  t.ok((await deleteExpiredPayloads(db)) >= 1);
  const left = await db.selectFrom('oidc_payloads').select('id').where('model', '=', 'Interaction').execute();
  t.same(left.map((r) => r.id), ['live']);
  await adapter('Interaction').upsert('dead2', { kind: 'Interaction', jti: 'dead2' } as never, 600);
  await db.updateTable('oidc_payloads').set({ expires_at: new Date(Date.now() - 3_600_000) }).where('id', '=', 'dead2').execute();
  await db.insertInto('dpop_proof_jtis').values([{ key: 'spent', expires_at: new Date(Date.now() - 1000) }, { key: 'fresh', expires_at: new Date(Date.now() + 60_000) }]).execute();
  t.equal(await deleteExpiredPayloads(db), 1, 'the expired payload');
  t.equal(await purgeSpentProofs(db, new Date()), 1, 'the spent proof');
  const left2 = await db.selectFrom('dpop_proof_jtis').select('key').execute();
  t.same(left2.map((r) => r.key), ['fresh'], 'proofs still inside their window are kept');
});
