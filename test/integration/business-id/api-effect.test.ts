import t from 'tap';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { assertApiError, dpopGet } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { IbClient } from '../internet-banking/ib-client.ts';
import { startSmtpSink } from '../mail/smtp-sink.ts';
import { confirmWith, shownVersions } from './flow-helpers.ts';

// A right removed on the ビジネスID管理 screens makes the resource API answer 403 at the
// next call, with the same token (DESIGN §5 "Permission at the API"); a user deleted there gets 401.
t.setTimeout(600_000);

const smtp = await startSmtpSink(t);
const server = await startAuthServer(t, { env: { SMTP_URL: smtp.url } });
const { db } = server.database;
const MASTER_MAIL = 'taro.aozora@aozora-shoji.example';
const A88 = '101011000088';
const A658 = '101011000658';

const user1 = await apiSessionFor(server, '1000000002', 'User1pass2024');
const master = new IbClient(server.main);
await master.login('1000000001', 'Aozora2024');

t.test('removing 照会 on an account through グループ編集 → 403 account_forbidden at the next API call', async (t) => {
  t.equal((await dpopGet(server, user1, `/api/v1/accounts/balances?accountId=${A658}`)).status, 200, 'readable before');
  const u = await db.selectFrom('users').select('group_id').where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  const groupId = u.group_id!;
  const a88 = await db.selectFrom('accounts').select('id').where('public_id', '=', A88).executeTakeFirstOrThrow();
  const [version] = shownVersions((await master.get(`/ib/business-id/groups/edit?groupId=${groupId}`)).body);
  // The group keeps 照会 on 1000088 and 書面発行, and loses 照会 on 1000658.
  const proposal = await master.post('/ib/business-id/groups/edit', {
    groupId, version: version!, name: '円普通照会 書面発行', [`a_${a88.id}_inquiry`]: 'on', approval: 'no', documentIssuance: 'yes',
  });
  const done = await confirmWith(master, smtp.mails, MASTER_MAIL, proposal, 'Torihiki2024');
  t.equal(done.statusCode, 200);
  assertApiError(t, await dpopGet(server, user1, `/api/v1/accounts/balances?accountId=${A658}`), 403, 'account_forbidden');
  t.equal((await dpopGet(server, user1, `/api/v1/accounts/balances?accountId=${A88}`)).status, 200, 'the other account is untouched');
});

t.test('deleting the user through ユーザー削除 → 401 at the next API call', async (t) => {
  const u = await db.selectFrom('users').select('id').where('login_id', '=', '1000000002').executeTakeFirstOrThrow();
  await master.get('/ib/business-id/users?mode=delete');
  const done = await confirmWith(master, smtp.mails, MASTER_MAIL, await master.post('/ib/business-id/users/delete', { userIds: [u.id] }), 'Torihiki2024');
  t.equal(done.statusCode, 200);
  const res = await dpopGet(server, user1, `/api/v1/accounts/balances?accountId=${A88}`);
  t.equal(res.status, 401);
});
