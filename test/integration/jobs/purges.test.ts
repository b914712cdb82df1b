import t from 'tap';
import { purgeExpiredPasswordResets } from '../../../src/auth/password-reset-purge.ts';
import { purgeExpiredConfirmations } from '../../../src/business-id/confirmation-purge.ts';
import { deleteExpiredPayloads } from '../../../src/oidc/payload-cleanup.ts';
import { purgeSpentProofs } from '../../../src/resource-api/spent-token-purge.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertCustomer, insertMaster } from '../../helpers/factories.ts';

// DESIGN §16: the purges delete what expired before the sweep's `now` and nothing else, in short
// batches, and two instances purging at once delete each row once.
const { db } = await createTestDatabase(t);
const customerId = await insertCustomer(db);
const userId = await insertMaster(db, customerId);
const now = new Date('2027-03-01T00:00:00Z');
const before = (ms: number) => new Date(now.getTime() - ms);
const after = (ms: number) => new Date(now.getTime() + ms);
const HASH = 'a'.repeat(64);

t.test('mail tokens and pending changes: only the expired ones go, used or not', async (t) => {
  const token = (label: string, expires_at: Date, consumed: boolean) => ({
    user_id: userId, purpose: label, subject_hash: HASH, code_hash: 'x', expires_at, consumed_at: consumed ? before(120_000) : null,
  });
  await db.insertInto('email_tokens').values([
    token('expired', before(1000), false), token('expired-used', before(60_000), true),
    token('live', after(60_000), false), token('live-used', after(60_000), true),
  ]).execute();
  const change = (kind: string, expires_at: Date) => ({ customer_id: customerId, actor_user_id: userId, kind, payload: '{}', subject_hash: HASH, expires_at });
  await db.insertInto('pending_changes').values([change('expired', before(1)), change('live', after(1000))]).execute();

  t.same(await purgeExpiredConfirmations(db, now), { pendingChanges: 1, mailTokens: 2 });
  t.same((await db.selectFrom('email_tokens').select('purpose').orderBy('purpose').execute()).map((r) => r.purpose), ['live', 'live-used']);
  t.same((await db.selectFrom('pending_changes').select('kind').execute()).map((r) => r.kind), ['live']);
  t.same(await purgeExpiredConfirmations(db, now), { pendingChanges: 0, mailTokens: 0 }, 'a rerun finds nothing');
});

t.test('password resets: only the expired ones go', async (t) => {
  await db.insertInto('password_resets').values([
    { user_id: userId, kind: 'login', token_hash: 'expired', code_hash: 'x', expires_at: before(1000) },
    { user_id: userId, kind: 'login', token_hash: 'live', code_hash: 'x', expires_at: after(1000) },
  ]).execute();
  t.equal(await purgeExpiredPasswordResets(db, now), 1);
  t.same((await db.selectFrom('password_resets').select('token_hash').execute()).map((r) => r.token_hash), ['live']);
});

t.test('protocol rows: expired payloads (after a minute of grace) and spent DPoP proofs go, in batches', async (t) => {
  const payload = (id: string, expires_at: Date | null) => ({ model: 'Session', id, payload: '{}', expires_at });
  await db.insertInto('oidc_payloads').values([
    payload('long-gone', before(3_600_000)), payload('just-expired', before(10_000)), payload('live', after(60_000)), payload('forever', null),
  ]).execute();
  t.equal(await deleteExpiredPayloads(db, { now }), 1, 'within the grace minute a row stays');
  t.same((await db.selectFrom('oidc_payloads').select('id').orderBy('id').execute()).map((r) => r.id), ['forever', 'just-expired', 'live']);

  const spent = Array.from({ length: 1234 }, (_, i) => ({ key: `spent-${i}`, expires_at: before(1000 + i) }));
  await db.insertInto('dpop_proof_jtis').values([...spent, { key: 'fresh', expires_at: after(1000) }]).execute();
  const both = await Promise.all([purgeSpentProofs(db, now), purgeSpentProofs(db, now)]);
  t.equal(both[0] + both[1], 1234, 'two purges at once delete each row once, across several batches');
  t.equal(await purgeSpentProofs(db, now), 0, 'until nothing expired is left');
  t.same((await db.selectFrom('dpop_proof_jtis').select('key').execute()).map((r) => r.key), ['fresh']);
});
