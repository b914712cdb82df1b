import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { GMO_API_BASES, GMO_ERROR_CODES, type ErrorCode } from '../../../src/shared/errors.ts';
import type { ApiResponse } from '../../helpers/api-probe.ts';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { mtlsSessionFor } from '../../helpers/mtls-session.ts';
import { A123, A88, dpopCall, requestWithClient, toAozora, toHanako, transferBody } from './transfers-helpers.ts';

// DESIGN §8 "Drop-in for GMO integrations" for 振込 (§17): the same operations under GMO Aozora's two
// base paths, each for its kind of customer, and GMO's TransferError there: errorCode (1–10 英数),
// errorMessage, and for a refused transfer errorDetails / transferErrorDetails; no requestId in the body.
// (test/helpers/gmo-schemas.ts carries GMO's account schemas only, so 200 bodies are compared with /api/v1.)
t.setTimeout(600_000);

const server = await startAuthServer(t);
const CORP = GMO_API_BASES.corporation;
const PERS = GMO_API_BASES.personal;
const corporate = await apiSessionFor(server, '1000000003', 'User2pass2024', { scopes: ['transfers'] });
const individual = await apiSessionFor(server, '2000000001', 'Hanako2024', { scopes: ['balances', 'transfers'] });
const readerOnly = await apiSessionFor(server, '2000000001', 'Hanako2024', { scopes: ['balances'] });

function assertGmoTransferError(t: Test, res: ApiResponse, status: number, code: ErrorCode, label: string, opts: { details?: boolean } = {}): void {
  t.equal(res.status, status, `${label}: status ${status}`);
  t.equal(res.body.errorCode, GMO_ERROR_CODES[code], `${label}: errorCode ${GMO_ERROR_CODES[code]} (${code})`);
  t.match(res.body.errorCode, /^[A-Za-z0-9]{1,10}$/);
  t.ok(typeof res.body.errorMessage === 'string' && res.body.errorMessage.length >= 1 && res.body.errorMessage.length <= 255, `${label}: errorMessage of 1–255`);
  t.notOk('requestId' in res.body, `${label}: no requestId in the body`);
  t.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/, `${label}: the request id in the header`);
  const keys = Object.keys(res.body).sort();
  t.same(keys, opts.details ? ['errorCode', 'errorDetails', 'errorMessage', 'transferErrorDetails'] : ['errorCode', 'errorMessage'], `${label}: GMO's fields only`);
}

/** The answer without the moment it was made, to compare two bases. */
const content = (body: Record<string, unknown>) => JSON.parse(JSON.stringify(body, (k, v) => (k === 'baseTime' || k === 'baseDate' ? undefined : v)));

t.test('the corporation base: 振込依頼, 結果照会, 状況照会 and 取消 for a corporate token, as /api/v1 answers', async (t) => {
  const res = await requestWithClient(server, corporate, `${CORP}/transfer/request`, transferBody(A88, [toHanako('4400')]));
  t.equal(res.status, 201);
  const created = await res.json() as Record<string, string>;
  t.equal(created.resultCode, '2');
  t.match(created.applyNo, /^\d{16}$/);

  const fee = await dpopCall(server, corporate, 'POST', `${CORP}/transfer/transferfee`, { body: transferBody(A88, [toHanako('4400')]) });
  t.equal(fee.status, 200);
  t.same(content(fee.body), content((await dpopCall(server, corporate, 'POST', '/api/v1/transfer/transferfee', { body: transferBody(A88, [toHanako('4400')]) })).body));

  for (const path of [`/transfer/request-result?accountId=${A88}&applyNo=${created.applyNo}`, `/transfer/status?accountId=${A88}&queryKeyClass=1&applyNo=${created.applyNo}&_=${Date.now()}`,
    `/transfer/status?accountId=${A88}&queryKeyClass=2`]) {
    const gmo = await dpopCall(server, corporate, 'GET', `${CORP}${path}`);
    const ours = await dpopCall(server, corporate, 'GET', `/api/v1${path}`);
    t.equal(gmo.status, 200, `${CORP}${path}`);
    t.same(content(gmo.body), content(ours.body), `${path}: the same content`);
  }
  const cancel = await dpopCall(server, corporate, 'POST', `${CORP}/transfer/cancel`, { body: { accountId: A88, cancelTargetKeyClass: '1', applyNo: created.applyNo } });
  t.equal(cancel.status, 201);
  t.equal(cancel.body.applyNo, created.applyNo);
});

t.test('the personal base serves an individual: 青空 花子 asks for a transfer to 青空商事', async (t) => {
  const res = await dpopCall(server, individual, 'POST', `${PERS}/transfer/request`, { body: transferBody(A123, [toAozora('2500')]) });
  t.equal(res.status, 201);
  t.equal(res.body.accountId, A123);
  t.equal(res.body.resultCode, '2');
  const status = await dpopCall(server, individual, 'GET', `${PERS}/transfer/status?accountId=${A123}&queryKeyClass=1&applyNo=${res.body.applyNo as string}`);
  t.equal(status.status, 200);
  t.equal((status.body.transferDetails as { transferStatus: string }[])[0]!.transferStatus, '2');
});

t.test('GMO’s TransferError under both bases: details for a refused transfer, GMO codes for the rest', async (t) => {
  for (const [base, session, account] of [[CORP, corporate, A88], [PERS, individual, A123]] as const) {
    const refused = await dpopCall(server, session, 'POST', `${base}/transfer/request`, {
      body: transferBody(account, [{ ...toHanako('1000'), accountNumber: '20001', beneficiaryName: 'あおぞら' }]),
    });
    assertGmoTransferError(t, refused, 400, 'invalid_parameter', `${base}: a malformed item`, { details: true });
    const items = refused.body.transferErrorDetails as { itemId: string; errorDetails: { errorDetailsCode: string; errorDetailsMessage: string }[] }[];
    t.same(items.map((i) => i.itemId), ['1']);
    t.same(items[0]!.errorDetails.map((d) => d.errorDetailsCode).sort(), ['221005', '221007'], 'beneficiaryName and accountNumber');
    t.same(refused.body.errorDetails, [], 'nothing wrong with the request as a whole: an empty list');

    const overLimit = await dpopCall(server, session, 'POST', `${base}/transfer/transferfee`, { body: transferBody(account, [toAozora('999999999999')]) });
    if (base === CORP) {
      // 青空商事 pays itself: the same account refused before the limit is compared.
      t.equal(overLimit.status, 400);
    } else {
      assertGmoTransferError(t, overLimit, 400, 'transfer_refused', `${base}: over the 振込限度額`, { details: true });
    }

    const key = randomUUID();
    const body = transferBody(account, [base === CORP ? toHanako('700') : toAozora('700')]);
    t.equal((await dpopCall(server, session, 'POST', `${base}/transfer/request`, { body, headers: { 'idempotency-key': key } })).status, 201);
    const replay = await dpopCall(server, session, 'POST', `${base}/transfer/request`, { body, headers: { 'idempotency-key': key } });
    t.equal(replay.status, 201, `${base}: a replay`);
    t.equal(replay.headers.get('idempotent-replayed'), 'true');
    const conflict = await dpopCall(server, session, 'POST', `${base}/transfer/request`, { body: { ...body, applyComment: 'ちがう' }, headers: { 'idempotency-key': key } });
    assertGmoTransferError(t, conflict, 409, 'idempotency_conflict', `${base}: another body under the key`);

    const unknown = await dpopCall(server, session, 'GET', `${base}/transfer/request-result?accountId=${account}&applyNo=0000000000000000`);
    assertGmoTransferError(t, unknown, 404, 'not_found', `${base}: an unknown applyNo`);
    const badClass = await dpopCall(server, session, 'GET', `${base}/transfer/status?accountId=${account}&queryKeyClass=1`);
    assertGmoTransferError(t, badClass, 400, 'invalid_parameter', `${base}: class 1 without applyNo`);
  }
  const scope = await dpopCall(server, readerOnly, 'POST', `${PERS}/transfer/request`, { body: transferBody(A123, [toAozora()]) });
  assertGmoTransferError(t, scope, 403, 'insufficient_scope', 'no transfers scope');
  const noToken = await server.fetch(new URL(`${CORP}/transfer/request`, server.issuer), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(noToken.status, 401);
  t.same(Object.keys(await noToken.json() as object).sort(), ['errorCode', 'errorMessage']);
  const account = await dpopCall(server, corporate, 'POST', `${CORP}/transfer/request`, { body: transferBody(A123, [toAozora()]) });
  assertGmoTransferError(t, account, 403, 'account_forbidden', 'another customer’s account');
});

t.test('each GMO base refuses the other kind of customer, before anything else', async (t) => {
  const corpOnPersonal = await dpopCall(server, corporate, 'POST', `${PERS}/transfer/request`, { body: transferBody(A88, [toHanako()]) });
  assertGmoTransferError(t, corpOnPersonal, 403, 'forbidden', 'a corporate token on the personal base');
  t.match(corpOnPersonal.body.errorMessage, CORP);
  const personOnCorp = await dpopCall(server, individual, 'GET', `${CORP}/transfer/status?accountId=${A123}&queryKeyClass=2`);
  assertGmoTransferError(t, personOnCorp, 403, 'forbidden', 'an individual token on the corporation base');
});

t.test('GMO’s own way on the mutual-TLS origin: x-access-token with a certificate-bound token', async (t) => {
  const mtls = await mtlsSessionFor(t, server, '1000000003', 'User2pass2024', { scopes: ['transfers'] });
  const send = (token: Record<string, string>, via = mtls.fetch) => via(new URL(`${CORP}/transfer/request`, server.mtlsUrl), {
    method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...token }, body: JSON.stringify(transferBody(A88, [toHanako('800')])),
  });
  const res = await send({ 'x-access-token': mtls.tokens.access_token });
  t.equal(res.status, 201);
  const body = await res.json() as Record<string, string>;
  t.equal(body.resultCode, '2');
  const status = await mtls.fetch(new URL(`${CORP}/transfer/status?accountId=${A88}&queryKeyClass=1&applyNo=${body.applyNo!}`, server.mtlsUrl), { headers: { 'x-access-token': mtls.tokens.access_token } });
  t.equal(status.status, 200);
  const withoutCertificate = await send({ 'x-access-token': mtls.tokens.access_token }, server.fetch);
  t.equal(withoutCertificate.status, 401, 'the bound certificate must be presented');
  t.same(Object.keys(await withoutCertificate.json() as object).sort(), ['errorCode', 'errorMessage']);
});
