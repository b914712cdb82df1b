import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { caCertificatesPem, loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { mutualTlsOptions } from '../../../src/tls/mutual-tls.ts';
import { generateSelfSigned } from '../../../src/tls/server-certificate.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertCustomer, insertMaster } from '../../helpers/factories.ts';

const run = promisify(execFile);
const database = await createTestDatabase(t);
const ca = await loadBankCa(database.db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });
const serverTls = await generateSelfSigned(['localhost']);
const userId = await insertMaster(database.db, await insertCustomer(database.db));
const passphrase = 'KeyProtect2026x';
const issued = await issueUserCertificate(database.db, ca, { userId, keyProtectionPassword: passphrase, profile: 'modern', validityDays: 365, crlUrl: 'https://localhost:8443/pki/crl' });

const dir = await mkdtemp(path.join(os.tmpdir(), 'renkei-mtls-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const pem = async (k: webcrypto.CryptoKey) => `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', k), 'PRIVATE KEY')}\n`;

/** A client certificate for clientAuth, self-signed or signed by `issuer`. */
async function clientCertificate(cn: string, issuer?: { cert: x509.X509Certificate; key: webcrypto.CryptoKey }) {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const common = {
    serialNumber: '01', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  };
  const cert = issuer
    ? await x509.X509CertificateGenerator.create({ ...common, subject: `CN=${cn}`, issuer: issuer.cert.subjectName, publicKey: keys.publicKey, signingKey: issuer.key })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: `CN=${cn}`, keys });
  return { cert: `${cert.toString('pem')}\n`, key: await pem(keys.privateKey) };
}

// A partner's own CA (RFC 8705 tls_client_auth), trusted only through PARTNER_CA_FILE.
const partnerKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
const partnerCa = await x509.X509CertificateGenerator.createSelfSigned({
  serialNumber: '02', name: 'CN=Partner Root', keys: partnerKeys, signingAlgorithm: EC,
  notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000),
  extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
});
const partnerCaFile = path.join(dir, 'partners.pem');
await writeFile(partnerCaFile, `${partnerCa.toString('pem')}\n`);
const partnerClient = await clientCertificate('partner-app', { cert: partnerCa, key: partnerKeys.privateKey });
const selfSigned = await clientCertificate('someone');

/** The mutual-TLS listener as server.ts builds it, with a probe route that reports what TLS decided. */
async function mtlsListener(t: { teardown(fn: () => unknown): void }, partnerFile?: string) {
  const httpsOptions = await mutualTlsOptions({ key: serverTls.key, cert: serverTls.cert, minVersion: 'TLSv1.2' }, { bankCaPem: caCertificatesPem(ca), partnerCaFile: partnerFile });
  const { app } = await buildTestApp(t, { database, build: { listener: 'mtls', https: httpsOptions } });
  app.get('/test/peer', async (request) => {
    const socket = request.raw.socket as TLSSocket;
    return { authorized: socket.authorized, cn: socket.getPeerCertificate().subject?.CN ?? null };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const probe = (client: https.RequestOptions) => new Promise<{ authorized: boolean; cn: string | null }>((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/test/peer', servername: 'localhost', ca: serverTls.cert, agent: false, ...client }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(JSON.parse(body) as { authorized: boolean; cn: string | null }));
    });
    req.on('error', reject);
  });
  return { port, probe };
}

t.test('the mutual-TLS listener trusts the bank CA: an issued certificate is authorized, others are not', async (t) => {
  const { port, probe } = await mtlsListener(t);
  t.same(await probe({ pfx: issued.pfx, passphrase }), { authorized: true, cn: issued.certificate.subjectName.getField('CN')[0] }, 'a certificate the bank issued (from its .pfx)');
  t.same(await probe({ cert: selfSigned.cert, key: selfSigned.key }), { authorized: false, cn: 'someone' }, 'a self-signed certificate');
  t.same(await probe({ cert: partnerClient.cert, key: partnerClient.key }), { authorized: false, cn: 'partner-app' }, 'a partner CA not configured');
  t.same(await probe({}), { authorized: false, cn: null }, 'no certificate: still served, the application decides');

  // What browsers filter their certificate choice on: the CA names in the CertificateRequest.
  const sClient = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} -servername localhost </dev/null 2>/dev/null`]);
  t.match(sClient.stdout, /Acceptable client certificate CA names[\s\S]*CN ?= ?Renkei Bank Client Issuing CA 1/);
});

t.test('PARTNER_CA_FILE adds the partners\' CAs to the list', async (t) => {
  const { probe } = await mtlsListener(t, partnerCaFile);
  t.same(await probe({ cert: partnerClient.cert, key: partnerClient.key }), { authorized: true, cn: 'partner-app' });
  t.same(await probe({ pfx: issued.pfx, passphrase }), { authorized: true, cn: issued.certificate.subjectName.getField('CN')[0] });
  t.same(await probe({ cert: selfSigned.cert, key: selfSigned.key }), { authorized: false, cn: 'someone' });

  const notCa = path.join(dir, 'not-ca.pem');
  await writeFile(notCa, selfSigned.cert);
  await t.rejects(mutualTlsOptions({ key: serverTls.key, cert: serverTls.cert, minVersion: 'TLSv1.2' }, { bankCaPem: caCertificatesPem(ca), partnerCaFile: notCa }), /must be a CA/);
  const empty = path.join(dir, 'empty.pem');
  await writeFile(empty, 'nothing here\n');
  await t.rejects(mutualTlsOptions({ key: serverTls.key, cert: serverTls.cert, minVersion: 'TLSv1.2' }, { bankCaPem: caCertificatesPem(ca), partnerCaFile: empty }), /no certificate/);
});
