import 'reflect-metadata';
import { createSecureContext } from 'node:tls';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { orderCertificate } from '../../../src/certificates/orders.ts';
import { checkRetrievalPassword, retrieveCertificate } from '../../../src/certificates/retrieval.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { certificateCustomer, insertUser, KEY_PASSWORD, RETRIEVAL_PASSWORD } from './order-fixtures.ts';

/**
 * What one certificate costs at the domain level (DESIGN §14): the figures are reported, never
 * asserted (no timed assertions); the assertions check that every run really issued a usable file.
 * `tap --disable-coverage test/integration/certificates/issue-timing.test.ts` (with DATABASE_URL for PostgreSQL).
 */
const RUNS = 20;
const { db } = await createTestDatabase(t);
const ca = await loadBankCa(db, { keyEncryptionKey: Buffer.alloc(32, 9) });
const crlUrl = 'https://bank.example/pki/crl';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const profile of ['modern', 'legacy'] as const) {
  t.test(`issueUserCertificate + ${profile} PFX, ${RUNS} runs`, async (t) => {
    const userId = (await insertUser(db, await certificateCustomer(db))).id;
    const times: number[] = [];
    const serials = new Set<string>();
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const issued = await db.transaction().execute((trx) => issueUserCertificate(trx, ca, { userId, keyProtectionPassword: KEY_PASSWORD, profile, validityDays: 365, crlUrl }));
      times.push(performance.now() - start);
      serials.add(issued.serialNumber);
      if (i === 0) t.doesNotThrow(() => createSecureContext({ pfx: issued.pfx, passphrase: KEY_PASSWORD }));
    }
    t.equal(serials.size, RUNS, 'every run issued its own certificate');
    t.comment(`issue + ${profile} PFX: median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (${RUNS} runs)`);
  });
}

t.test(`retrieveCertificate (consume the order, issue, revoke the previous, audit), ${RUNS} runs`, async (t) => {
  const customerId = await certificateCustomer(db);
  const prepared: Array<{ orderId: string; token: string }> = [];
  for (let i = 0; i < RUNS; i++) {
    const userId = (await insertUser(db, customerId, i === 0 ? {} : { role: 'member' })).id;
    const { orderId } = await orderCertificate(db, { userId, retrievalPassword: RETRIEVAL_PASSWORD, orderedByUserId: null, now: new Date(), publicUrl: 'https://bank.example' });
    const checked = await checkRetrievalPassword(db, { orderId, password: RETRIEVAL_PASSWORD, now: new Date() });
    if (!checked.ok) throw new Error('password');
    prepared.push({ orderId, token: checked.token });
  }
  const times: number[] = [];
  for (const p of prepared) {
    const start = performance.now();
    await retrieveCertificate(db, { ca, validityDays: 365, crlUrl }, { orderId: p.orderId, token: p.token, keyProtectionPassword: KEY_PASSWORD, profile: 'modern', now: new Date() });
    times.push(performance.now() - start);
  }
  const issued = await db.selectFrom('certificate_orders').select('id').where('id', 'in', prepared.map((p) => p.orderId)).where('status', '=', 'issued').execute();
  t.equal(issued.length, RUNS);
  t.comment(`retrieveCertificate (modern): median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (${RUNS} runs)`);
});
