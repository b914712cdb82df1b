import { Type } from '@sinclair/typebox';
import t from 'tap';
import { AppError } from '../../../src/shared/errors.ts';
import { buildTestApp } from '../../helpers/build-app.ts';

// One error format for every failure outside the OAuth endpoints (DESIGN §8, §11).

async function appWithProbeRoutes(t: Parameters<typeof buildTestApp>[0]) {
  const built = await buildTestApp(t);
  const { app } = built;
  app.post('/probe/echo', {
    schema: {
      body: Type.Object({ amount: Type.Integer({ minimum: 1 }), memo: Type.Optional(Type.String({ maxLength: 10 })) }, { additionalProperties: false }),
    },
  }, async (req) => req.body);
  app.get('/probe/boom', async () => {
    throw new Error('secret internal detail: password=hunter2');
  });
  app.get('/probe/refused', async () => {
    throw new AppError(403, 'forbidden', { detail: { why: 'test' } });
  });
  app.get('/probe/db-down', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  });
  return built;
}

const FORMAT = { errorCode: String, errorMessage: String, requestId: String };

t.test('an unknown route is a 404 in the error format, in Japanese by default', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/no/such/thing' });
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /application\/json/);
  const body = res.json();
  t.match(body, FORMAT);
  t.equal(body.errorCode, 'not_found');
  t.match(body.errorMessage, /見つかりません/);
  t.equal(body.requestId, res.headers['x-request-id'], 'the body carries the request id');
});

t.test('English with Accept-Language: en', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/nope', headers: { 'accept-language': 'en-US,en;q=0.9,ja;q=0.5' } });
  t.match(res.json().errorMessage, /not found/);
  const ja = await app.inject({ method: 'GET', url: '/nope', headers: { 'accept-language': 'fr, ja;q=0.8, en;q=0.5' } });
  t.match(ja.json().errorMessage, /見つかりません/);
});

t.test('a browser gets an error page, not JSON', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/missing', headers: { accept: 'text/html,application/xhtml+xml' } });
  t.equal(res.statusCode, 404);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /not_found/);
  t.match(res.body, /受付番号/);
  t.match(res.headers['content-security-policy'], /default-src 'none'/);
});

t.test('bad input is a 400 with a machine-readable code, never a 500', async (t) => {
  const { app } = await appWithProbeRoutes(t);
  const cases = [
    { name: 'malformed JSON', payload: '{"amount":', type: 'application/json', status: 400, code: 'invalid_request' },
    { name: 'empty JSON body', payload: '', type: 'application/json', status: 400, code: 'invalid_request' },
    { name: 'schema violation', payload: '{"amount":0}', type: 'application/json', status: 400, code: 'invalid_parameter' },
    { name: 'unknown field', payload: '{"amount":1,"admin":true}', type: 'application/json', status: 400, code: 'invalid_parameter' },
    { name: 'wrong type', payload: '{"amount":"lots"}', type: 'application/json', status: 400, code: 'invalid_parameter' },
    { name: 'unsupported media type', payload: '<amount/>', type: 'application/xml', status: 415, code: 'unsupported_media_type' },
    { name: 'too large', payload: JSON.stringify({ amount: 1, memo: 'x'.repeat(70_000) }), type: 'application/json', status: 413, code: 'payload_too_large' },
  ];
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/probe/echo', payload: c.payload, headers: { 'content-type': c.type } });
    t.equal(res.statusCode, c.status, `${c.name}: status`);
    t.match(res.json(), { ...FORMAT, errorCode: c.code }, `${c.name}: body`);
  }
  const bad = await app.inject({ method: 'GET', url: '/?lang=xx' });
  t.equal(bad.statusCode, 400, 'a bad query parameter');
  t.equal(bad.json().errorCode, 'invalid_parameter');
  const ok = await app.inject({ method: 'POST', url: '/probe/echo', payload: { amount: 3 } });
  t.same(ok.json(), { amount: 3 }, 'good input still works');
});

t.test('an unexpected error is a 500 that hides its details but logs them with the request id', async (t) => {
  const { app, logs } = await appWithProbeRoutes(t);
  const res = await app.inject({ method: 'GET', url: '/probe/boom' });
  t.equal(res.statusCode, 500);
  t.match(res.json(), { ...FORMAT, errorCode: 'server_error' });
  t.notMatch(res.body, /hunter2|secret internal/);
  const line = logs().map((l) => JSON.parse(l)).find((l) => l.msg === 'unexpected error');
  t.ok(line, 'logged');
  t.equal(line.reqId, res.json().requestId, 'under the same request id');
});

t.test('typed refusals and an unreachable database map to their codes', async (t) => {
  const { app } = await appWithProbeRoutes(t);
  const refused = await app.inject({ method: 'GET', url: '/probe/refused' });
  t.equal(refused.statusCode, 403);
  t.equal(refused.json().errorCode, 'forbidden');
  t.notMatch(refused.body, /why/, 'details stay in the log');
  const down = await app.inject({ method: 'GET', url: '/probe/db-down' });
  t.equal(down.statusCode, 503);
  t.equal(down.headers['retry-after'], '5');
  t.equal(down.json().errorCode, 'service_unavailable');
});

t.test('the landing page and its assets', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /<html lang="ja">/);
  t.match(res.body, /renkei/);
  t.notMatch(res.body, /https?:\/\/(?!localhost)[a-z]/i, 'no external assets or links');
  const en = await app.inject({ method: 'GET', url: '/?lang=en' });
  t.match(en.body, /<html lang="en">/);
  const css = await app.inject({ method: 'GET', url: '/assets/style.css' });
  t.equal(css.statusCode, 200);
  t.match(css.headers['content-type'], /text\/css/);
  t.equal(res.headers['referrer-policy'], 'no-referrer');
  t.match(res.headers['strict-transport-security'], /max-age=31536000/);
  t.match(res.headers['x-frame-options'], /SAMEORIGIN|DENY/);
});
