import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import t from 'tap';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient, visibleText } from '../internet-banking/ib-client.ts';

// Bad input is the caller's mistake, whatever layer notices it (DESIGN §11): a 400 with a code and a
// message, never a 500. Database refusals of a value map to 400 in the one error handler; NUL bytes
// and unpaired surrogates are refused before any route sees them.
t.setTimeout(180_000);

const { app, database, logs } = await buildTestApp(t);
const { db } = database;
await seedDemoData(db, { today: '2026-11-20' });

/** Routes that hand the request's values to the database unvalidated, as a route missing a check would. */
app.post('/probe/db', { schema: { body: Type.Object({ kind: Type.String(), value: Type.String() }) } }, async (request) => {
  const { kind, value } = request.body as { kind: string; value: string };
  if (kind === 'uuid') await sql`select ${value}::uuid`.execute(db);
  else if (kind === 'date') await sql`select ${value}::date`.execute(db);
  else if (kind === 'smallint') await sql`select ${value}::smallint`.execute(db);
  else await sql`select ${value}::text`.execute(db);
  return { ok: true };
});
app.get('/probe/raw', async (request) => {
  // No schema at all: the guard still sees the query string.
  const q = request.query as Record<string, unknown>;
  await sql`select ${String(q['v'] ?? '')}::text`.execute(db);
  return { ok: true };
});
app.post('/probe/attach', {
  schema: { body: Type.Object({ name: Type.String(), note: Type.Optional(Type.String()) }) }, attachValidation: true,
}, async (request, reply) => {
  const e = request.validationError;
  return reply.code(e ? 422 : 200).send(e ? { field: e.validation[0]?.instancePath, keyword: e.validation[0]?.keyword, context: e.validationContext } : { ok: true });
});
app.get('/probe/thrown/:code', async (request) => {
  const { code } = request.params as { code: string };
  throw Object.assign(new Error(`database said ${code}: value "S3CRET"`), { code });
});

const FORMAT = { errorCode: String, errorMessage: String, requestId: String };

t.test('a value the database refuses is a 400 invalid_parameter, not a 500 (one mapping, by SQLSTATE)', async (t) => {
  const cases: [string, string, string][] = [
    ['uuid', '0'.repeat(36), '22P02'], ['uuid', '-'.repeat(36), '22P02'],
    ['date', '2026-02-30', '22008'], ['date', '2026-13-45', '22008'], ['smallint', '99999999', '22003'],
  ];
  for (const [kind, value, state] of cases) {
    await t.rejects(app.inject({ method: 'POST', url: '/probe/db', payload: { kind, value } }).then(() => sql`select ${value}::${sql.raw(kind)}`.execute(db)), { code: state }, `the database answers ${state}`);
    const res = await app.inject({ method: 'POST', url: '/probe/db', payload: { kind, value } });
    t.equal(res.statusCode, 400, `${kind} ${JSON.stringify(value)} (${state})`);
    t.match(res.json(), { ...FORMAT, errorCode: 'invalid_parameter' });
  }
  // A NUL never gets past the input guard, but a value built from other data could carry one.
  await t.rejects(sql`select ${'a\u0000b'}::text`.execute(db), { code: '22021' }, 'the database refuses a NUL with 22021');
  for (const code of ['22P02', '22021', '22007', '22008', '22003', '22001', '22P05', '54000']) {
    const res = await app.inject({ method: 'GET', url: `/probe/thrown/${code}` });
    t.equal(res.statusCode, 400, code);
    t.equal(res.json().errorCode, 'invalid_parameter');
    t.notMatch(res.body, /S3CRET|database said/, 'the database message is not shown');
  }
  const line = logs().map((l) => JSON.parse(l)).find((l) => l.msg === 'input refused by the database');
  t.ok(line, 'the refusal is logged for the missing check to be added');
  t.equal(line.level, 40, 'at warn level');
  t.notMatch(JSON.stringify(logs()), /S3CRET/, 'without the database message, which may quote the value');
  for (const code of ['08006', '57P01', '53300']) {
    const res = await app.inject({ method: 'GET', url: `/probe/thrown/${code}` });
    t.equal(res.statusCode, 503, `${code}: connection failures stay 503`);
    t.equal(res.json().errorCode, 'service_unavailable');
  }
  const other = await app.inject({ method: 'GET', url: '/probe/thrown/42P01' });
  t.equal(other.statusCode, 500, 'a broken query (undefined table) is still our bug, not the caller’s');
});

t.test('NUL bytes and unpaired surrogates are refused for every parsed form, query and JSON body', async (t) => {
  const json = (payload: string) => app.inject({ method: 'POST', url: '/probe/db', payload, headers: { 'content-type': 'application/json' } });
  for (const [what, payload] of [
    ['NUL in a value', '{"kind":"text","value":"a\\u0000b"}'],
    ['lone high surrogate', '{"kind":"text","value":"a\\ud800"}'],
    ['lone low surrogate', '{"kind":"text","value":"\\udc00b"}'],
    ['NUL in a key', '{"kind":"text","value":"x","\\u0000":1}'],
    ['NUL deep down', `{"kind":"text","value":"x","deep":${'['.repeat(5000)}"\\u0000"${']'.repeat(5000)}}`],
  ] as const) {
    const res = await json(payload);
    t.equal(res.statusCode, 400, what);
    t.match(res.json(), { ...FORMAT, errorCode: 'invalid_parameter' }, what);
  }
  t.match((await json('{"kind":"text","value":"a\\u0000b"}')).json().errorMessage, 'body/value', 'the message names the field');
  t.equal((await json('{"kind":"text","value":"😀 ok"}')).statusCode, 200, 'a paired surrogate (an emoji) is fine');
  const form = await app.inject({ method: 'POST', url: '/probe/db', payload: 'kind=text&value=a%00b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(form.statusCode, 400, 'a form body');
  t.equal(form.json().errorCode, 'invalid_parameter');
  const raw = await app.inject({ method: 'GET', url: '/probe/raw?v=a%00b' });
  t.equal(raw.statusCode, 400, 'a query string, even on a route without a schema for it');
  t.equal((await app.inject({ method: 'GET', url: '/probe/raw?v=%FF%C3%28' })).statusCode, 200, 'invalid UTF-8 escapes stay literal text, which is harmless');
  const attached = await app.inject({ method: 'POST', url: '/probe/attach', payload: 'name=ok&note=x%00', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(attached.statusCode, 422, 'a route that shows its form again gets the refusal as its validation error');
  t.same(attached.json(), { field: '/note', keyword: 'pattern', context: 'body' });
  const gmo = await app.inject({ method: 'GET', url: '/ganb/api/corporation/v1/accounts?x=%00' });
  t.ok(gmo.statusCode >= 400 && gmo.statusCode < 500, 'the API answers 4xx in its own format');
});

t.test('ログイン・操作履歴 with an impossible date is a 400 page, not a database error', async (t) => {
  const c = new IbClient(app);
  t.equal((await c.login('1000000001', 'Aozora2024')).statusCode, 303);
  for (const q of ['from=2026-02-30', 'from=2026-13-45', 'to=2025-02-29', 'from=0000-01-01', 'from=2026-1-1', 'from=%00', 'user=%00', 'user=00000000-0000-0000-0000-00000000000g', 'before=99999999999999999999']) {
    const res = await c.get(`/ib/audit?${q}`);
    t.equal(res.statusCode, 400, q);
    t.match(res.headers['content-type'], /text\/html/, `${q}: the screen again`);
  }
  t.match(visibleText((await c.get('/ib/audit?from=2026-02-30')).body), 'カレンダーにある日');
  t.equal((await c.get('/ib/audit?from=2024-02-29&to=2026-11-20')).statusCode, 200, 'a leap day is a day');
});

t.test('the password-reset token is not written to the log with the URL', async (t) => {
  const token = 'RESETTOKENabcdefghijklmnopqrstuvwxyz0123456';
  await app.inject({ method: 'GET', url: `/ib/password-reset/${token}` });
  await app.inject({ method: 'GET', url: `/ib/password-reset/${token}?lang=en` });
  await app.inject({ method: 'POST', url: `/ib/password-reset/${token}`, payload: 'code=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const lines = logs().filter((l) => l.includes('password-reset'));
  t.ok(lines.length >= 3, 'the requests are logged');
  for (const l of lines) t.notMatch(l, token);
  t.match(lines[0], '/ib/password-reset/[REDACTED]', 'with the path kept');
});
