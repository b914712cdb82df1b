import t from 'tap';
import { runCli } from '../../../src/cli.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { partnerOfInitialAccessToken } from '../../../src/partners/clients.repository.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';

const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });
const kek = async () => Buffer.alloc(32, 3);
async function cli(...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runCli(argv, db, kek, (l) => lines.push(l));
  return lines;
}

t.test('partners: list and add', async (t) => {
  t.match((await cli('partners', 'list')).join('\n'), 'かんたん家計簿（株式会社 入出金情報提供）');
  t.match((await cli('partners', 'add', '--legal-name', '株式会社 会計ソフト', '--service-name', 'クラウド会計', '--website', 'https://kaikei.example'))[0], /added/);
  await t.rejects(cli('partners', 'add', '--legal-name', 'x'), /required/);
  await t.rejects(cli('partners', 'add', '--legal-name', 'x', '--service-name', 'y', '--website', 'http://insecure.example'), /https/);
});

t.test('an initial access token is shown once, stored hashed, bound to its partner, revocable', async (t) => {
  const out = await cli('iat', 'issue', '--partner', 'かんたん家計簿', '--days', '30');
  const token = out[1]!;
  t.match(token, /^[A-Za-z0-9_-]{43}$/);
  const stored = await db.selectFrom('initial_access_tokens').select('token_hash').execute();
  t.notOk(stored.some((r) => r.token_hash === token), 'only the hash is stored');
  const partner = await db.selectFrom('partners').select('id').where('service_name', '=', 'かんたん家計簿').executeTakeFirstOrThrow();
  t.match(await partnerOfInitialAccessToken(db, token), { partnerId: partner.id });
  await t.rejects(cli('iat', 'issue', '--partner', 'nobody'), /no partner/);
  await t.rejects(cli('iat', 'issue', '--partner', 'かんたん家計簿', '--days', '0'), /--days/);
  t.match((await cli('iat', 'revoke', '--partner', partner.id))[0], /1 initial access token/);
  t.equal(await partnerOfInitialAccessToken(db, token), undefined, 'a revoked token no longer registers clients');
});

t.test('clients: the bank controls scopes, consent period and the business-selection screen', async (t) => {
  const c = await insertTestClient(db);
  t.match((await cli('clients', 'list')).join('\n'), c.clientId);
  await cli('clients', 'set', c.clientId, '--scopes', 'openid,balances', '--consent-days', '30', '--business-selection', 'off');
  const row = await db.selectFrom('oauth_clients').selectAll().where('client_id', '=', c.clientId).executeTakeFirstOrThrow();
  t.same(row.allowed_scopes, ['openid', 'balances']);
  t.equal(row.consent_period_days, 30);
  t.equal(row.show_business_selection, false);
  await t.rejects(cli('clients', 'set', c.clientId, '--scopes', 'admin'), /unknown scope/);
  await t.rejects(cli('clients', 'set', c.clientId, '--consent-days', '99999'), /consent-days/);
  await t.rejects(cli('clients', 'set', 'missing-client'), /no client/);
});

t.test('keys: list, rotate, purge; unknown commands show the usage', async (t) => {
  t.match((await cli('keys', 'rotate'))[0], /new signing keys/);
  t.equal((await cli('keys', 'list')).filter((l) => l.includes('active')).length, 2);
  t.match((await cli('keys', 'purge', '--older-than-days', '1'))[0], /0 retired/);
  await t.rejects(cli('nonsense'), /usage: npm run cli/);
});
