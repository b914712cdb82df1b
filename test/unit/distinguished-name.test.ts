import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { formatDn, parseDn, subjectIs } from '../../src/certificates/distinguished-name.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

async function der(subject: x509.JsonName): Promise<Uint8Array> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: subject, keys, signingAlgorithm: alg, notBefore: new Date(), notAfter: new Date(Date.now() + 60_000),
  });
  return new Uint8Array(cert.rawData);
}

t.test('RFC 4514 strings parse, with escapes, keywords in any case, OIDs and multi-valued RDNs', async (t) => {
  t.same(parseDn('CN=a\\, b,O=x\\+y,C=JP'), [[['2.5.4.3', 'a, b']], [['2.5.4.10', 'x+y']], [['2.5.4.6', 'jp']]]);
  t.same(parseDn('cn=abc, o=Foo  Corp ,c=JP'), [[['2.5.4.3', 'abc']], [['2.5.4.10', 'foo corp']], [['2.5.4.6', 'jp']]]);
  t.same(parseDn('2.5.4.3=abc'), [[['2.5.4.3', 'abc']]]);
  t.same(parseDn('CN=\\E3\\81\\8B'), [[['2.5.4.3', 'か']]], 'hex escapes are UTF-8 bytes');
  t.same(parseDn('OU=b+CN=a,O=c'), [[['2.5.4.11', 'b'], ['2.5.4.3', 'a']].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)), [['2.5.4.10', 'c']]]);
  for (const bad of ['', 'garbage', 'CN=', 'CN=a,', 'XX=a', 'CN=#0c03616263', 'CN=a\\zz', 'CN=\\FF', 'CN="q"', 'CN=a,,O=b']) {
    t.equal(parseDn(bad), undefined, JSON.stringify(bad));
  }
  t.equal(parseDn(`CN=${'a'.repeat(2000)}`), undefined, 'too long');
});

t.test('a certificate subject matches its DN in RFC 4514 order or in DER order, and nothing else', async (t) => {
  const cert = await der([{ C: ['JP'] }, { O: ['株式会社 入出金情報提供, Inc.'] }, { CN: ['かんたん家計簿'] }]);
  t.ok(subjectIs(cert, 'CN=かんたん家計簿,O=株式会社 入出金情報提供\\, Inc.,C=JP'), 'RFC 4514 order');
  t.ok(subjectIs(cert, 'C=JP, O=株式会社 入出金情報提供\\, Inc., CN=かんたん家計簿'), 'DER order, as OpenSSL prints it');
  t.ok(subjectIs(cert, 'CN=かんたん家計簿,O=株式会社　入出金情報提供\\, INC.,C=jp'), 'case and full-width space are insignificant');
  t.notOk(subjectIs(cert, 'CN=かんたん家計簿,C=JP,O=株式会社 入出金情報提供\\, Inc.'), 'shuffled RDNs');
  t.notOk(subjectIs(cert, 'CN=かんたん家計簿,O=株式会社 入出金情報提供\\, Inc.'), 'an RDN missing');
  t.notOk(subjectIs(cert, 'CN=かんたん家計簿,O=株式会社 入出金情報提供\\, Inc.,C=JP,DC=x'), 'an RDN extra');
  t.notOk(subjectIs(cert, 'CN=かんたん家計簿,O=株式会社 入出金情報提供,C=JP'), 'the comma is part of the value');
  t.notOk(subjectIs(cert, 'not a dn'), 'garbage never matches');
  t.equal(formatDn([{ type: 'C', value: 'JP' }, { type: 'O', value: 'A, B+C' }, { type: 'CN', value: ' x#' }]), 'CN=\\ x#,O=A\\, B\\+C,C=JP');
  const odd = await der([{ C: ['JP'] }, { O: ['A, B+C'] }, { CN: [' x#'] }]);
  t.ok(subjectIs(odd, formatDn([{ type: 'C', value: 'JP' }, { type: 'O', value: 'A, B+C' }, { type: 'CN', value: ' x#' }])), 'formatDn round-trips');
});
