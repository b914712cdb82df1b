import t from 'tap';
import { createAdapterFactory, providerWritesIn } from '../../../src/oidc/adapter.ts';
import { withArtifactScope } from '../../../src/oidc/artifact-scope.ts';
import type { Db } from '../../../src/db/transaction.ts';
import { createTestDatabase } from '../../helpers/database.ts';

// The request's identity map of provider artifacts (src/oidc/artifact-scope.ts): a row read or written
// once in a request is not read again in that request; outside a request, and inside a bank
// transaction, every read goes to the database. The rows are changed behind the adapter's back here,
// so which reads reached the database shows in what they return.

const { db } = await createTestDatabase(t);
const adapter = createAdapterFactory({ db, clockTolerance: 15 });
const behindTheBack = (id: string, payload: Record<string, unknown>, on: Db = db) =>
  on.updateTable('oidc_payloads').set({ payload: JSON.stringify(payload) }).where('id', '=', id).execute();

t.test('within one scope a row is read once; the next scope reads it again', async (t) => {
  const interactions = adapter('Interaction');
  await interactions.upsert('i1', { kind: 'Interaction', jti: 'i1', v: 1 } as never, 60);
  await withArtifactScope(async () => {
    t.match(await interactions.find('i1'), { v: 1 });
    await behindTheBack('i1', { kind: 'Interaction', jti: 'i1', v: 2 });
    t.match(await interactions.find('i1'), { v: 1 }, 'the second read in the request is answered from the scope');
    const copy = (await interactions.find('i1')) as Record<string, unknown>;
    copy.v = 99;
    t.match(await interactions.find('i1'), { v: 1 }, 'callers get copies: changing one changes nothing kept');
  });
  await withArtifactScope(async () => t.match(await interactions.find('i1'), { v: 2 }, 'a new request reads the database'));
  t.match(await interactions.find('i1'), { v: 2 }, 'and so does work outside any request');
});

t.test('writes are mirrored: an upsert is read back, a destroyed row is gone, a consumed one is asked again', async (t) => {
  const codes = adapter('AuthorizationCode');
  await withArtifactScope(async () => {
    await codes.upsert('c1', { kind: 'AuthorizationCode', jti: 'c1', v: 1 } as never, 60);
    await behindTheBack('c1', { kind: 'AuthorizationCode', jti: 'c1', v: 2 });
    t.match(await codes.find('c1'), { v: 1 }, 'what this request wrote');
    await codes.consume('c1');
    t.ok((await codes.find('c1'))?.consumed, 'after consume the row is read from the database, consumed');
    const again = await codes.consume('c1').then(() => undefined, (e: { error?: string }) => e.error);
    t.equal(again, 'invalid_grant', 'single use is still decided by the database');
    await codes.destroy('c1');
    t.equal(await codes.find('c1'), undefined, 'destroyed');
  });
  t.equal(await codes.find('c1'), undefined, 'and gone from the database');
});

t.test('an interaction brings its session in the same statement; findByUid is then answered from the scope', async (t) => {
  const sessions = adapter('Session');
  const interactions = adapter('Interaction');
  await sessions.upsert('s1', { kind: 'Session', jti: 's1', uid: 'su1', accountId: 'a' } as never, 60);
  await interactions.upsert('i2', { kind: 'Interaction', jti: 'i2', session: { uid: 'su1' } } as never, 60);
  await withArtifactScope(async () => {
    t.match(await interactions.find('i2'), { session: { uid: 'su1' } });
    await behindTheBack('s1', { kind: 'Session', jti: 's1', uid: 'su1', accountId: 'changed' });
    t.match(await sessions.findByUid!('su1'), { accountId: 'a' }, 'the session came with the interaction');
    t.match(await sessions.find('s1'), { accountId: 'a' }, 'by id as well');
  });
  await withArtifactScope(async () => {
    await interactions.upsert('i3', { kind: 'Interaction', jti: 'i3', session: { uid: 'nobody' } } as never, 60);
    t.match(await interactions.find('i3'), { jti: 'i3' }, 'an interaction whose session is gone is still found');
    t.equal(await sessions.findByUid!('nobody'), undefined);
  });
});

t.test('inside a bank transaction every read and write goes to the database, and a rollback leaves nothing behind', async (t) => {
  const grants = adapter('Grant');
  await withArtifactScope(async () => {
    await grants.upsert('g1', { kind: 'Grant', jti: 'g1', v: 1 } as never, 60);
    await db.transaction().execute((trx) => providerWritesIn(trx, async () => {
      // Through the transaction: the embedded database has one connection, which the transaction holds.
      await behindTheBack('g1', { kind: 'Grant', jti: 'g1', v: 2 }, trx);
      t.match(await grants.find('g1'), { v: 2 }, 'read in the transaction, from the database');
    }));
    await t.rejects(db.transaction().execute((trx) => providerWritesIn(trx, async () => {
      await grants.upsert('g1', { kind: 'Grant', jti: 'g1', v: 3 } as never, 60);
      throw new Error('rolled back');
    })), /rolled back/);
    t.match(await grants.find('g1'), { v: 2 }, 'the rolled-back write is not served from the scope');
  });
});
