import t from 'tap';
import { createLogger, redactUrl } from '../../src/shared/logger.ts';
import { memoryLogSink } from '../helpers/build-app.ts';

t.test('secret query parameters are redacted from URLs, others kept', async (t) => {
  t.equal(redactUrl('/cb?code=abc&state=xyz'), '/cb?code=%5BREDACTED%5D&state=xyz');
  t.equal(redactUrl('/plain'), '/plain');
  t.equal(redactUrl('/x?a=1'), '/x?a=1');
  t.notMatch(redactUrl('/t?access_token=S1&client_assertion=S2&refresh_token=S3&id_token_hint=S4'), /S[1-4]/);
});

t.test('secrets in log objects never reach the output', async (t) => {
  const sink = memoryLogSink();
  const log = createLogger('info', sink.stream);
  log.info({
    req: { method: 'POST', url: '/token?code=SECRETCODE', headers: { authorization: 'DPoP SECRETTOKEN', cookie: 'sid=SECRETCOOKIE', dpop: 'SECRETPROOF', host: 'x' } },
    body: { password: 'SECRETPW', pin: '7392', loginId: '1000000001', transaction_password: 'SECRETTX', client_assertion: 'SECRETASSERT' },
    config: { keyEncryptionKey: 'SECRETKEK', databaseUrl: 'postgres://u:SECRETDB@h/db' },
  }, 'request');
  const out = sink.lines().join('\n');
  for (const s of ['SECRETCODE', 'SECRETTOKEN', 'SECRETCOOKIE', 'SECRETPROOF', 'SECRETPW', '7392', 'SECRETTX', 'SECRETASSERT', 'SECRETKEK', 'SECRETDB']) {
    t.notMatch(out, s, `${s} is not logged`);
  }
  t.match(out, '1000000001', 'non-secret fields stay');
  t.match(out, '"service":"renkei"');
});
