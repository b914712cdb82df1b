import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { advanceToConsent, login, USERS } from '../../helpers/fapi.ts';
import { JourneyDriver } from '../../helpers/journey-driver.ts';

// The README's "first balance in 15 minutes" runs as written against the real server: the script is
// taken from the README, and this test plays the person at the browser (consent, then pasting the
// address the browser ends on).
t.setTimeout(240_000);
const initialAccessToken = randomBytes(32).toString('base64url');
const server = await startAuthServer(t, { env: { INITIAL_ACCESS_TOKEN: initialAccessToken } });

const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('### Your first balance in 15 minutes'));
const script = /Save this as `first-balance\.mjs`[\s\S]*?```js\n([\s\S]*?)```/.exec(section)?.[1];

t.test('the guide’s script registers, connects, reads balances, refreshes and revokes', async (t) => {
  t.ok(script, 'the README carries the script');
  const dir = await mkdtemp(path.join(tmpdir(), 'renkei-guide-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'first-balance.mjs'), script!);
  // `npm install openid-client@6` in the guide; here the project's own copy.
  await symlink(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, 'ca.pem'), server.ca);

  const child = spawn(process.execPath, ['first-balance.mjs'], {
    cwd: dir, stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ISSUER: server.issuer, INITIAL_ACCESS_TOKEN: initialAccessToken, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const prompted = new Promise<string>((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /(https:\/\/\S+\/oauth2\/authorize\?\S+)/.exec(out)?.[1];
      if (url && out.includes('Then paste')) resolve(url);
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await Promise.race([prompted, exited.then(() => { throw new Error(`the script ended early: ${out}${err}`); })]);

  const b = new JourneyDriver(server);
  await b.go('GET', url);
  await login(b, USERS.master);
  await advanceToConsent(b);
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  t.match(callback?.toString(), /^https:\/\/app\.example\/callback\?code=/, 'the browser ends on the app’s address');
  child.stdin.write(`${callback}\n`);

  t.equal(await exited, 0, `the script succeeds ${err}`);
  t.match(out, /^registered \S+/m);
  t.match(out, /accountId: '101011000088'/, 'the balances print');
  t.match(out, /balance: '\d+'/);
  t.match(out, /introspection \{\s*active: true/, 'the refreshed access token is active');
  t.match(out, /after revocation: 401 invalid_token/, 'the revoked access token is refused at once');
  t.match(out, /link ended/);
  const grant = await server.database.db.selectFrom('grants').innerJoin('oauth_clients', 'oauth_clients.client_id', 'grants.client_id')
    .select(['grants.revoked_by', 'grants.revoked_at']).where('oauth_clients.metadata', '@>', JSON.stringify({ client_name: 'はじめての家計簿' }) as never).executeTakeFirstOrThrow();
  t.ok(grant.revoked_at, 'revoking the refresh token ended the link');
  t.equal(grant.revoked_by, 'client');
});
