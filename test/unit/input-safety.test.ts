import t from 'tap';
import { isDatabaseUnavailable, isInvalidInputError } from '../../src/shared/db-errors.ts';
import { unsafeTextAt } from '../../src/shared/input-guard.ts';
import { redactUrl } from '../../src/shared/logger.ts';

t.test('database refusals of a value are told apart from outages and from our own bugs', async (t) => {
  for (const code of ['22P02', '22021', '22007', '22008', '22003', '22001', '22P05', '2201B', '54000']) {
    t.ok(isInvalidInputError({ code }), `${code} is the caller's input`);
    t.notOk(isDatabaseUnavailable({ code }), `${code} is not an outage`);
  }
  for (const code of ['08006', '08001', '57P01', '53300', '23505', '42P01', '40001', 'ECONNREFUSED', 'EPIPE', undefined, 22021]) {
    t.notOk(isInvalidInputError({ code }), `${String(code)} is not`);
  }
  t.notOk(isInvalidInputError(null));
  t.notOk(isInvalidInputError(new Error('invalid input syntax for type uuid')), 'by SQLSTATE, never by message');
});

t.test('unsafeTextAt finds NUL bytes and unpaired surrogates, in values and keys, at any depth', async (t) => {
  t.equal(unsafeTextAt({ a: 'ok', b: ['x', 'y\u0000'] }), '/b/1');
  t.equal(unsafeTextAt({ 'a/b~c': '\ud800' }), '/a~1b~0c', 'a JSON pointer, escaped as Ajv escapes');
  t.equal(unsafeTextAt({ 'k\u0000': 1 }), '/k\u0000', 'a key');
  t.equal(unsafeTextAt('\udc00'), '', 'the value itself');
  t.equal(unsafeTextAt({ ok: '😀 日本語 \t\n', n: 1, z: null, b: true }), undefined, 'paired surrogates, tabs and newlines are text');
  let deep: unknown = 'a\u0000';
  for (let i = 0; i < 100_000; i += 1) deep = [deep];
  t.equal(unsafeTextAt(deep)?.length, 200_000, 'no stack overflow on a deeply nested value');
  t.equal(unsafeTextAt({ a: 'x\u0001' }, (s) => /[\u0000-\u001f]/.test(s)), '/a', 'a stricter test when asked');
});

t.test('secrets in URL paths are redacted from logs, the screen stays readable', async (t) => {
  t.equal(redactUrl('/ib/password-reset/AbC123_-xyz'), '/ib/password-reset/[REDACTED]');
  t.equal(redactUrl('/ib/password-reset/AbC123?lang=en'), '/ib/password-reset/[REDACTED]?lang=en');
  t.equal(redactUrl('/ib/password-reset/AbC123/extra'), '/ib/password-reset/[REDACTED]/extra');
  t.equal(redactUrl('/ib/Password%2DReset/AbC123'), '/ib/Password%2DReset/[REDACTED]', 'however the path is spelled');
  t.equal(redactUrl('/certificates/retrieve/ORDER42?code=x'), '/certificates/retrieve/[REDACTED]?code=%5BREDACTED%5D');
  t.equal(redactUrl('/ib/password-reset'), '/ib/password-reset', 'no token, nothing to hide');
  t.equal(redactUrl('/ib/audit?from=2026-11-01'), '/ib/audit?from=2026-11-01', 'other URLs unchanged');
});
