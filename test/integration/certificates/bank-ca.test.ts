import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import { sql } from 'kysely';
import t from 'tap';
import { caCertificatesPem, loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { createDb } from '../../../src/db/create-db.ts';
import { createTestDatabase } from '../../helpers/database.ts';

const run = promisify(execFile);
const kek = Buffer.alloc(32, 9);
const database = await createTestDatabase(t);
const { db } = database;

t.test('the CA is created once: a P-384 root over a P-256 issuing CA, keys sealed at rest', async (t) => {
  const ca = await loadBankCa(db, { keyEncryptionKey: kek });
  t.equal(ca.source, 'generated');
  const [issuing, root] = ca.chain;
  t.equal(ca.issuing, issuing);
  t.match((root!.publicKey.algorithm as webcrypto.EcKeyAlgorithm).namedCurve, 'P-384');
  t.match((issuing!.publicKey.algorithm as webcrypto.EcKeyAlgorithm).namedCurve, 'P-256');
  t.ok(await root!.isSelfSigned(), 'the root signs itself');
  t.ok(await issuing!.verify({ publicKey: root!.publicKey }), 'the root signs the issuing CA');
  t.equal(issuing!.getExtension(x509.BasicConstraintsExtension)?.pathLength, 0);
  t.equal(root!.getExtension(x509.BasicConstraintsExtension)?.pathLength, 1);
  t.equal(ca.signingKey.extractable, false, 'the signing key cannot be exported from the process');

  const again = await loadBankCa(db, { keyEncryptionKey: kek });
  t.equal(again.source, 'stored');
  t.equal(again.issuerSha256, ca.issuerSha256, 'a second start loads the same CA');
  const stored = await sql<{ text: string }>`select row_to_json(c)::text as text from bank_ca c`.execute(db);
  t.equal(stored.rows.length, 1);
  const jwk = await webcrypto.subtle.exportKey('jwk', (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])).privateKey);
  t.ok(jwk.d && !stored.rows[0]!.text.includes('"d"'), 'no private JWK member is stored in clear');
  await t.rejects(loadBankCa(db, { keyEncryptionKey: Buffer.alloc(32, 1) }), 'another key-encryption key cannot open it');

  const pem = caCertificatesPem(ca);
  t.equal(x509.PemConverter.decode(pem).length, 2);
  t.ok(pem.endsWith('-----END CERTIFICATE-----\n'), 'the bundle ends with a newline, as OpenSSL wants');
});

t.test('instances starting together create one CA', async (t) => {
  const fresh = await createTestDatabase(t);
  // On PostgreSQL a second pool on the same database, so the two really race; on PGlite the one connection.
  const other = fresh.url ? await createDb({ databaseUrl: fresh.url, poolSize: 2 }) : fresh;
  if (other !== fresh) t.teardown(() => other.close());
  const cas = await Promise.all([loadBankCa(fresh.db, { keyEncryptionKey: kek }), loadBankCa(other.db, { keyEncryptionKey: kek }), loadBankCa(fresh.db, { keyEncryptionKey: kek })]);
  t.equal(new Set(cas.map((c) => c.issuerSha256)).size, 1, 'every instance uses the same issuing CA');
  t.equal(cas.filter((c) => c.source === 'generated').length, 1, 'exactly one inserted it');
  const { count } = await fresh.db.selectFrom('bank_ca').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  t.equal(Number(count), 1);
});

t.test('CA_CERT_FILE / CA_KEY_FILE: an operator CA made with openssl, checked before use', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'renkei-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const f = (n: string) => path.join(dir, n);
  await writeFile(f('ca.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', 'root.key', '-out', 'root.crt', '-days', '30', '-subj', '/C=JP/O=Operator/CN=Operator Root');
  await openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'issuing.key', '-out', 'issuing.csr', '-subj', '/C=JP/O=Operator/CN=Operator Issuing');
  await openssl('x509', '-req', '-in', 'issuing.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'issuing.crt', '-days', '30', '-extfile', 'ca.ext');
  const { stdout: issuingPem } = await openssl('x509', '-in', 'issuing.crt');
  const { stdout: rootPem } = await openssl('x509', '-in', 'root.crt');
  await writeFile(f('bundle.pem'), issuingPem + rootPem);

  const ca = await loadBankCa(db, { keyEncryptionKey: kek, files: { certFile: f('bundle.pem'), keyFile: f('issuing.key') } });
  t.equal(ca.source, 'configured');
  t.match(ca.issuing.subject, /CN=Operator Issuing/);
  t.equal(ca.chain.length, 2);
  t.same(ca.signingAlgorithm, { name: 'ECDSA', hash: 'SHA-256' });

  await t.rejects(loadBankCa(db, { keyEncryptionKey: kek, files: { certFile: f('bundle.pem'), keyFile: f('root.key') } }), /does not belong/, 'a key of another certificate is refused');
  await t.rejects(loadBankCa(db, { keyEncryptionKey: kek, files: { certFile: f('issuing.crt'), keyFile: f('issuing.key') } }), /self-signed root/, 'a chain without its root is refused');
  await writeFile(f('leaf.ext'), 'basicConstraints=critical,CA:FALSE\n');
  await openssl('x509', '-req', '-in', 'issuing.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '30', '-extfile', 'leaf.ext');
  await writeFile(f('leaf-bundle.pem'), (await openssl('x509', '-in', 'leaf.crt')).stdout + rootPem);
  await t.rejects(loadBankCa(db, { keyEncryptionKey: kek, files: { certFile: f('leaf-bundle.pem'), keyFile: f('issuing.key') } }), /not a CA/, 'a non-CA certificate is refused');
});
