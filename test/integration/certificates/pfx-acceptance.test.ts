import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { promisify } from 'node:util';
import t from 'tap';
import { orderCertificate } from '../../../src/certificates/orders.ts';
import { buildTestApp } from '../../helpers/build-app.ts';
import { IbClient } from '../internet-banking/ib-client.ts';
import { certificateCustomer, insertUser, KEY_PASSWORD, RETRIEVAL_PASSWORD } from './order-fixtures.ts';

const run = promisify(execFile);
const { app, database, config } = await buildTestApp(t);
const db = database.db;
const dir = await mkdtemp(path.join(os.tmpdir(), 'renkei-retrieved-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const WRONG = 'WrongPassword99';

/** A .pfx as a user gets it: ordered, then retrieved through the screens. */
async function download(profile: 'modern' | 'legacy') {
  const user = await insertUser(db, await certificateCustomer(db));
  const { orderId } = await orderCertificate(db, { userId: user.id, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl: config.publicUrl });
  const url = `/certificates/retrieve/${orderId}`;
  const c = new IbClient(app);
  await c.get(url);
  await c.post(url, { password: RETRIEVAL_PASSWORD });
  await c.get(`${url}/key`);
  const page = await c.post(`${url}/key`, { keyPassword: KEY_PASSWORD, keyPasswordConfirm: KEY_PASSWORD, agree: 'on' });
  const sealed = /name="sealed" value="([^"]+)"/.exec(page.body)![1]!;
  const res = await c.post(`${url}/download`, { sealed, profile });
  if (res.statusCode !== 200) throw new Error(`download: ${res.statusCode}`);
  const name = /filename="([^"]+)"/.exec(String(res.headers['content-disposition']))![1]!;
  const file = path.join(dir, `${profile}-${name}`);
  await writeFile(file, res.rawPayload);
  const row = await db.selectFrom('certificates').select(['fingerprint_sha256']).where('user_id', '=', user.id).executeTakeFirstOrThrow();
  return { user, file, pfx: res.rawPayload, name, fingerprint: row.fingerprint_sha256! };
}

for (const profile of ['modern', 'legacy'] as const) {
  t.test(`the downloaded ${profile} .pfx is accepted by OpenSSL, NSS and Node with the 鍵保護パスワード, and only with it`, async (t) => {
    const { user, file, pfx, name, fingerprint } = await download(profile);
    t.equal(name, `${user.loginId}.pfx`);
    // OpenSSL 3 reads 3DES/SHA-1 files only with -legacy.
    const legacy = profile === 'legacy' ? ['-legacy'] : [];
    const info = await run('openssl', ['pkcs12', ...legacy, '-info', '-noout', '-in', file, '-passin', `pass:${KEY_PASSWORD}`]);
    t.match(info.stdout + info.stderr, profile === 'modern' ? /MAC: sha256/ : /MAC: sha1/);
    t.match(info.stdout + info.stderr, profile === 'modern' ? /PBES2, PBKDF2, AES-256-CBC/ : /pbeWithSHA1And3-KeyTripleDES-CBC/);
    await t.rejects(run('openssl', ['pkcs12', ...legacy, '-info', '-noout', '-in', file, '-passin', `pass:${WRONG}`]), 'OpenSSL refuses a wrong 鍵保護パスワード');
    const { stdout: leafPem } = await run('openssl', ['pkcs12', ...legacy, '-in', file, '-passin', `pass:${KEY_PASSWORD}`, '-clcerts', '-nokeys']);
    const leaf = new X509Certificate(leafPem.slice(leafPem.indexOf('-----BEGIN')));
    t.equal(createHash('sha256').update(leaf.raw).digest('hex'), fingerprint, 'the leaf is the certificate the bank recorded, byte for byte');
    t.match(leaf.subject, `CN=${user.loginId}`);

    const nss = await mkdtemp(path.join(dir, `nss-${profile}-`));
    await run('certutil', ['-N', '--empty-password', '-d', `sql:${nss}`]);
    await t.rejects(run('pk12util', ['-i', file, '-d', `sql:${nss}`, '-W', WRONG]), 'NSS refuses a wrong 鍵保護パスワード');
    await run('pk12util', ['-i', file, '-d', `sql:${nss}`, '-W', KEY_PASSWORD]);
    t.match((await run('certutil', ['-L', '-d', `sql:${nss}`])).stdout, user.loginId, 'NSS imported the certificate');
    t.match((await run('certutil', ['-K', '-d', `sql:${nss}`])).stdout, /ec/, 'and its private key');

    t.doesNotThrow(() => createSecureContext({ pfx, passphrase: KEY_PASSWORD }), 'Node loads it');
    t.throws(() => createSecureContext({ pfx, passphrase: WRONG }), /mac verify failure/, 'Node refuses a wrong 鍵保護パスワード');
  });
}
