import { randomUUID } from 'node:crypto';
import t from 'tap';
import { ERROR_MESSAGES } from '../../../src/shared/errors.ts';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { assertApiError, challenges, rawGet } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { A658, A88, dpopCall, requestWithClient, toAozora, toHanako, transferBody } from './transfers-helpers.ts';

// DESIGN §17: 振込 under /api/v1 with scope `transfers` — 振込手数料事前照会, 振込依頼 (201, Idempotency-Key),
// 振込依頼結果照会, 振込状況照会 (both queryKeyClass, paging) and 振込取消依頼, with GMO's TransferError
// details on refusal. Tokens come from real journeys of the demo users through oauth4webapi.
t.setTimeout(600_000);

const server = await startAuthServer(t);
const { db } = server.database;
// User 2 (group 振込): 照会・操作・振込・振替 on 1000088 only.
const payer = await apiSessionFor(server, '1000000003', 'User2pass2024', { scopes: ['balances', 'transfers'] });
// The same user through a client that may only read balances.
const reader = await apiSessionFor(server, '1000000003', 'User2pass2024', { scopes: ['balances'] });
// User 1 (group 円普通照会): sees both ordinary accounts, may not transfer from them.
const viewer = await apiSessionFor(server, '1000000002', 'User1pass2024', { scopes: ['transfers'] });

const post = (path: string, body: unknown, headers: Record<string, string> = {}) => dpopCall(server, payer, 'POST', path, { body, headers });
const get = (path: string) => dpopCall(server, payer, 'GET', path);

t.test('振込手数料事前照会: the fee of each item and the total, nothing written', async (t) => {
  const before = await db.selectFrom('transfer_applications').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const res = await post('/api/v1/transfer/transferfee', transferBody(A88, [toHanako('1000', '1'), { ...toHanako('40000', '2'), beneficiaryBankCode: '0005', beneficiaryName: 'ﾀﾅｶ ｲﾁﾛｳ' }], { totalCount: '2', totalAmount: '41000' }));
  t.equal(res.status, 200);
  t.equal(res.body.accountId, A88);
  t.match(res.body.baseDate, /^\d{4}-\d{2}-\d{2}$/);
  t.match(res.body.baseTime, /^\d{2}:\d{2}:\d{2}\+09:00$/);
  const details = res.body.transferFeeDetails as { itemId: string; transferFee: string }[];
  t.same(details.map((d) => d.itemId), ['1', '2']);
  t.equal(details[0]!.transferFee, '0', 'to an account of this bank: free');
  t.ok(Number(details[1]!.transferFee) > 0, 'to another bank: a fee');
  t.equal(res.body.totalFee, String(Number(details[0]!.transferFee) + Number(details[1]!.transferFee)));
  const after = await db.selectFrom('transfer_applications').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(after.n, before.n, 'a quote requests nothing');
});

t.test('振込依頼 with a real client: 201, resultCode 2 (awaiting approval), an applyNo, the application stored', async (t) => {
  const res = await requestWithClient(server, payer, '/api/v1/transfer/request', transferBody(A88, [toHanako('1200')], { applyComment: 'テスト依頼' }));
  t.equal(res.status, 201);
  t.equal(res.headers.get('cache-control'), 'no-store');
  const body = await res.json() as Record<string, string>;
  t.equal(body.accountId, A88);
  t.equal(body.resultCode, '2');
  t.match(body.applyNo, /^\d{16}$/);
  t.match(body.applyEndDatetime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
  const row = await db.selectFrom('transfer_applications').selectAll().where('apply_no', '=', body.applyNo!).executeTakeFirstOrThrow();
  t.equal(row.status, 'pending');
  t.equal(row.total_amount, '1200');
  t.equal(row.apply_comment, 'テスト依頼');
  t.equal(row.client_id, payer.tc.clientId);
  const audit = await db.selectFrom('audit_events').select(['type']).where('type', '=', 'transfer.requested').execute();
  t.ok(audit.length >= 1, 'an audit row');
});

t.test('Idempotency-Key: the same key and body answer the same; another body with the key is 409', async (t) => {
  const key = randomUUID();
  const body = transferBody(A88, [toHanako('2100')]);
  const first = await post('/api/v1/transfer/request', body, { 'idempotency-key': key });
  t.equal(first.status, 201);
  t.equal(first.headers.get('idempotent-replayed'), null);
  const again = await post('/api/v1/transfer/request', body, { 'idempotency-key': key });
  t.equal(again.status, 201, 'a replay is answered as the first time');
  t.same(again.body, first.body, 'the same answer: the same applyNo');
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  const rows = await db.selectFrom('transfer_applications').select('id').where('idempotency_key', '=', key).execute();
  t.equal(rows.length, 1, 'one application');

  const other = await post('/api/v1/transfer/request', transferBody(A88, [toHanako('2200')]), { 'idempotency-key': key });
  assertApiError(t, other, 409, 'idempotency_conflict');
  t.match(other.body.requestId, /^[0-9a-f-]{36}$/);

  const none1 = await post('/api/v1/transfer/request', body);
  const none2 = await post('/api/v1/transfer/request', body);
  t.equal(none1.status, 201);
  t.not(none1.body.applyNo, none2.body.applyNo, 'without a key, two requests are two applications');

  const bad = await post('/api/v1/transfer/request', body, { 'idempotency-key': 'has space' });
  assertApiError(t, bad, 400, 'invalid_parameter', { message: 'Idempotency-Keyは印字可能なASCII文字（空白を除く）1〜255文字で指定してください。', label: 'a malformed key' });
  t.equal((await post('/api/v1/transfer/request', body, { 'idempotency-key': 'k'.repeat(256) })).status, 400, 'a key too long');
});

t.test('refused transfers: 400 with GMO’s errorDetails and transferErrorDetails per item', async (t) => {
  const res = await post('/api/v1/transfer/request', transferBody(A88, [
    toHanako('1000', '1'),
    { ...toHanako('abc', '2'), accountNumber: '12', beneficiaryName: '青空花子' },
  ], { totalCount: '3' }));
  t.equal(res.status, 400);
  t.equal(res.body.errorCode, 'invalid_parameter');
  t.match(res.body.requestId, /^[0-9a-f-]{36}$/);
  const requestLevel = res.body.errorDetails as { errorDetailsCode: string; errorDetailsMessage: string }[];
  t.ok(requestLevel.some((d) => d.errorDetailsCode === '220002'), 'totalCount ≠ the items');
  const perItem = res.body.transferErrorDetails as { itemId: string; errorDetails: { errorDetailsCode: string; errorDetailsMessage: string }[] }[];
  t.same(perItem.map((i) => i.itemId), ['2'], 'only item 2 is wrong');
  const codes = perItem[0]!.errorDetails.map((d) => d.errorDetailsCode).sort();
  t.same(codes, ['221001', '221005', '221007'], 'its amount, name and account number');
  for (const d of perItem[0]!.errorDetails) t.ok(d.errorDetailsMessage.length > 0, `${d.errorDetailsCode} has a message`);

  const overLimit = await post('/api/v1/transfer/transferfee', transferBody(A88, [toHanako('999999999999')]));
  t.equal(overLimit.status, 400, 'over the account’s 振込限度額');
  t.equal(overLimit.body.errorCode, 'transfer_refused');
  t.same((overLimit.body.transferErrorDetails as { itemId: string; errorDetails: { errorDetailsCode: string }[] }[])[0]!.errorDetails.map((d) => d.errorDetailsCode), ['221002']);

  const schema = await post('/api/v1/transfer/request', { accountId: A88, transferDesignatedDate: '2026-12-01' });
  assertApiError(t, schema, 400, 'invalid_parameter', { message: ERROR_MESSAGES.invalid_parameter.ja.replace('。', '（body）。'), label: 'no transfers at all' });
  const notJson = await dpopCall(server, payer, 'POST', '/api/v1/transfer/request', { rawBody: '{"accountId":' });
  assertApiError(t, notJson, 400, 'invalid_request', { label: 'malformed JSON' });
  const en = await dpopCall(server, payer, 'POST', '/api/v1/transfer/request', { body: transferBody(A88, [toHanako('0')]), headers: { 'accept-language': 'en' } });
  t.equal(en.status, 400);
  t.equal(en.body.errorMessage, ERROR_MESSAGES.invalid_parameter.en, 'the message in English when asked');
});

t.test('authentication, scope and account: 401, 403 insufficient_scope, 403 account', async (t) => {
  const none = await server.fetch(new URL('/api/v1/transfer/request', server.issuer), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(none.status, 401, 'no token');
  t.equal((await none.json() as { errorCode: string }).errorCode, 'invalid_token');
  t.equal((await rawGet(server, `/api/v1/transfer/status?accountId=${A88}&queryKeyClass=1&applyNo=0000000000000000`)).status, 401);

  for (const [method, path] of [
    ['POST', '/api/v1/transfer/transferfee'], ['POST', '/api/v1/transfer/request'], ['POST', '/api/v1/transfer/cancel'],
    ['GET', `/api/v1/transfer/request-result?accountId=${A88}&applyNo=0000000000000000`], ['GET', `/api/v1/transfer/status?accountId=${A88}&queryKeyClass=1&applyNo=0000000000000000`],
  ] as const) {
    const res = await dpopCall(server, reader, method, path, { body: transferBody(A88) });
    assertApiError(t, res, 403, 'insufficient_scope', { label: `${method} ${path} without transfers` });
    t.equal(challenges(res.headers.get('www-authenticate')).DPoP?.scope, 'transfers', 'the challenge names the scope');
  }
  // Checked before the body: a partner without 振込 learns that first, whatever it sent.
  assertApiError(t, await dpopCall(server, reader, 'POST', '/api/v1/transfer/request', { body: {} }), 403, 'insufficient_scope');

  assertApiError(t, await post('/api/v1/transfer/request', transferBody(A658)), 403, 'account_forbidden', { label: 'an account outside the grant' });
  assertApiError(t, await post('/api/v1/transfer/request', transferBody('100012000123')), 403, 'account_forbidden', { label: 'another customer’s account' });
  const noRight = await dpopCall(server, viewer, 'POST', '/api/v1/transfer/request', { body: transferBody(A88) });
  t.equal(noRight.status, 403, 'a user without 振込・振替 on the account');
  t.equal(noRight.body.errorCode, 'forbidden');
  t.match(noRight.body.errorMessage, '振込');
});

t.test('振込依頼結果照会 and 振込状況照会 (queryKeyClass 1), then 振込取消依頼', async (t) => {
  const created = await post('/api/v1/transfer/request', transferBody(A88, [toHanako('3300')], { applyComment: '家賃' }));
  const applyNo = created.body.applyNo as string;

  const result = await get(`/api/v1/transfer/request-result?accountId=${A88}&applyNo=${applyNo}`);
  t.equal(result.status, 200);
  t.same({ ...result.body, applyEndDatetime: undefined }, { accountId: A88, resultCode: '2', applyNo, applyEndDatetime: undefined });
  t.match(result.body.applyEndDatetime, /\+09:00$/, 'the approval deadline while pending');

  const status = await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=1&applyNo=${applyNo}`);
  t.equal(status.status, 200);
  t.equal(status.body.acceptanceKeyClass, '1');
  t.equal(status.body.count, '1');
  const [detail] = status.body.transferDetails as Record<string, unknown>[];
  t.match(detail, {
    transferStatus: '2', transferStatusName: '申請中', isFeeFreeUse: false, totalDebitAmount: '3300',
    transferApplies: [{ applyNo, transferApplyDetails: [{ applyStatus: '1', applyComment: '家賃' }] }],
    transferResponses: [{ accountId: A88, transferDesignatedDate: (transferBody(A88).transferDesignatedDate), transferInfos: [{ transferAmount: '3300', accountNumber: '2000123', beneficiaryName: 'ｱｵｿﾞﾗ ﾊﾅｺ' }] }],
  });
  t.ok(((detail!.transferApplies as { transferApplyDetails: { applyUser?: string }[] }[])[0]!.transferApplyDetails[0]!.applyUser ?? '').length > 0, 'the applicant’s name');

  // Unknown and malformed 受付番号.
  const notFound = (res: { status: number; body: Record<string, unknown> }, label: string) => {
    t.equal(res.status, 404, label);
    t.equal(res.body.errorCode, 'not_found', label);
  };
  notFound(await get(`/api/v1/transfer/request-result?accountId=${A88}&applyNo=0000000000000000`), 'unknown applyNo');
  notFound(await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=1&applyNo=0000000000000000`), 'unknown applyNo (status)');
  t.equal((await get(`/api/v1/transfer/request-result?accountId=${A88}&applyNo=12ab`)).status, 400, 'malformed applyNo');
  t.equal((await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=1`)).status, 400, 'class 1 without applyNo');
  t.equal((await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=1&applyNo=${applyNo}&dateFrom=2026-11-01`)).status, 400, 'class 2 parameters with class 1');
  t.equal((await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=3`)).status, 400, 'an unknown class');
  t.equal((await get(`/api/v1/transfer/status?accountId=${A88}`)).status, 400, 'no class');
  const otherClient = await dpopCall(server, viewer, 'GET', `/api/v1/transfer/request-result?accountId=${A88}&applyNo=${applyNo}`);
  t.ok([403, 404].includes(otherClient.status), 'another client (and user) cannot read this client’s application');

  // 振込取消依頼: 201, the application withdrawn (transferStatus 4); again → 409.
  const cancel = await post('/api/v1/transfer/cancel', { accountId: A88, cancelTargetKeyClass: '1', applyNo });
  t.equal(cancel.status, 201);
  t.match(cancel.body, { accountId: A88, applyNo, cancelTargetKeyClass: '1', resultCode: '1' });
  t.equal((await db.selectFrom('transfer_applications').select('status').where('apply_no', '=', applyNo).executeTakeFirstOrThrow()).status, 'withdrawn');
  const after = await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=1&applyNo=${applyNo}`);
  t.equal((after.body.transferDetails as { transferStatus: string }[])[0]!.transferStatus, '4');
  const resultAfter = await get(`/api/v1/transfer/request-result?accountId=${A88}&applyNo=${applyNo}`);
  t.equal(resultAfter.body.resultCode, '8', 'a withdrawn request never completes');
  assertApiError(t, await post('/api/v1/transfer/cancel', { accountId: A88, cancelTargetKeyClass: '1', applyNo }), 409, 'conflict', {
    message: 'この振込申請は申請中ではないため取消できません。', label: 'a second cancel',
  });
  t.equal((await post('/api/v1/transfer/cancel', { accountId: A88, cancelTargetKeyClass: '2', applyNo })).status, 400, 'cancelTargetKeyClass 2 is not offered');
  notFound(await post('/api/v1/transfer/cancel', { accountId: A88, cancelTargetKeyClass: '1', applyNo: '0000000000000000' }), 'cancel of an unknown applyNo');
  t.ok((await db.selectFrom('audit_events').select('type').where('type', '=', 'transfer.cancelled').execute()).length >= 1, 'the cancel is audited');
});

t.test('振込状況照会 queryKeyClass 2: by date, by status, paged by nextItemKey', async (t) => {
  // This client's applications so far, plus enough copies of one to need a second page.
  const seed = await post('/api/v1/transfer/request', transferBody(A88, [toHanako('500')]));
  t.equal(seed.status, 201);
  const source = await db.selectFrom('transfer_applications').selectAll().where('apply_no', '=', seed.body.applyNo as string).executeTakeFirstOrThrow();
  const copies = 105;
  for (let i = 0; i < copies; i++) {
    const { id: _id, seq: _seq, apply_no: _no, idempotency_key: _k, request_hash: _h, ...rest } = source as typeof source & { seq?: unknown };
    const inserted = await db.insertInto('transfer_applications').values({ ...rest, apply_no: String(9_000_000_000_000_000 + i) } as never).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('transfer_items').values({ application_id: inserted.id, item_id: 1, amount: '500', fee: '0', edi_info: null, beneficiary_bank_code: '0310', beneficiary_branch_code: '100',
      account_type_code: '1', account_number: '2000123', beneficiary_name: 'ｱｵｿﾞﾗ ﾊﾅｺ', beneficiary_account_id: null } as never).execute();
  }
  const total = await db.selectFrom('transfer_applications').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('client_id', '=', payer.tc.clientId).executeTakeFirstOrThrow();

  const today = transferBody(A88).transferDesignatedDate;
  const seen: string[] = [];
  let next: string | undefined;
  let pages = 0;
  do {
    const res = await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=2&dateFrom=${today}&dateTo=${today}${next ? `&nextItemKey=${next}` : ''}`);
    t.equal(res.status, 200, `page ${pages + 1}`);
    t.equal(res.body.acceptanceKeyClass, '2');
    const details = res.body.transferDetails as { transferApplies: { applyNo: string }[] }[];
    t.equal(res.body.count, String(details.length));
    seen.push(...details.map((d) => d.transferApplies[0]!.applyNo));
    const bulk = (res.body.transferQueryBulkResponses as { hasNext: boolean; nextItemKey?: string; dateFrom?: string; requestNextItemKey?: string }[])[0]!;
    t.equal(bulk.hasNext, res.body.hasNext, 'GMO’s place for the paging says the same');
    t.equal(bulk.dateFrom, today, 'the conditions echoed');
    if (next) t.equal(bulk.requestNextItemKey, next);
    t.equal(res.body.nextItemKey !== undefined, res.body.hasNext === true, 'nextItemKey only with hasNext');
    next = res.body.nextItemKey as string | undefined;
    pages++;
  } while (next && pages < 10);
  t.equal(pages, 2, 'two pages');
  t.equal(seen.length, Number(total.n), 'every application of this client, once');
  t.equal(new Set(seen).size, seen.length, 'no repeats across pages');

  const withdrawn = await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=2&requestTransferStatus=4`);
  t.equal(withdrawn.status, 200);
  const statuses = (withdrawn.body.transferDetails as { transferStatus: string }[]).map((d) => d.transferStatus);
  t.ok(statuses.length >= 1 && statuses.every((s) => s === '4'), 'only 取下げ');
  const byDesignated = await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=2&requestTransferTerm=2&dateFrom=2000-01-01&dateTo=2000-01-02`);
  t.equal(byDesignated.status, 200);
  t.same(byDesignated.body.transferDetails, [], 'nothing designated then: an empty list');
  t.equal(byDesignated.body.count, '0');
  t.equal((await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=2&dateFrom=2026-12-02&dateTo=2026-12-01`)).status, 400, 'dateFrom > dateTo');
  t.equal((await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=2&applyNo=${seed.body.applyNo as string}`)).status, 400, 'applyNo with class 2');
  t.equal((await get(`/api/v1/transfer/status?accountId=${A88}&queryKeyClass=2&nextItemKey=abc`)).status, 400, 'a malformed nextItemKey');
});

t.test('the OpenAPI document describes the five operations with scope transfers and TransferError', async (t) => {
  const doc = (await rawGet(server, '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { security: Record<string, string[]>[]; responses: Record<string, unknown> }>>; components: { schemas: Record<string, unknown> } };
  for (const [path, method, ok] of [
    ['/api/v1/transfer/transferfee', 'post', '200'], ['/api/v1/transfer/request', 'post', '201'], ['/api/v1/transfer/request-result', 'get', '200'],
    ['/api/v1/transfer/status', 'get', '200'], ['/api/v1/transfer/cancel', 'post', '201'],
  ] as const) {
    const op = doc.paths[path]?.[method];
    t.ok(op, `${method.toUpperCase()} ${path}`);
    t.ok(op!.security.every((s) => s.oidc?.[0] === 'transfers'), 'scope transfers');
    t.ok(op!.responses[ok], `answers ${ok}`);
    t.match(JSON.stringify(op!.responses['400']), 'TransferError');
  }
  t.ok(doc.paths['/api/v1/transfer/request']!.post!.responses['409'], 'the request documents 409');
  t.notOk(Object.keys(doc.paths).some((p) => p.startsWith('/ganb/')), 'the GMO aliases are not in the document');
  t.ok(doc.components.schemas.TransferError, 'TransferError is a component');
});

t.test('a refused transfer’s item amount to 青空商事 itself is refused, not a 500', async (t) => {
  const self = await post('/api/v1/transfer/request', transferBody(A88, [toAozora('1000')]));
  t.equal(self.status, 400, 'the debit account as beneficiary');
  t.same((self.body.transferErrorDetails as { errorDetails: { errorDetailsCode: string }[] }[])[0]!.errorDetails.map((d) => d.errorDetailsCode), ['221009']);
  const nul = await post('/api/v1/transfer/request', transferBody(A88, [{ ...toHanako(), beneficiaryName: 'ｱ\u0000' }]));
  t.equal(nul.status, 400, 'a NUL in a field');
  const huge = await post('/api/v1/transfer/request', transferBody(A88, Array.from({ length: 100 }, (_, i) => toHanako('1', String(i + 1)))));
  t.equal(huge.status, 400, '100 items');
  const numbers = await post('/api/v1/transfer/transferfee', { accountId: A88, transferDesignatedDate: transferBody(A88).transferDesignatedDate, transfers: [{ ...toHanako(), transferAmount: 1000, itemId: 1 }] });
  t.equal(numbers.status, 200, 'numbers sent as JSON numbers are read as their strings');
});
