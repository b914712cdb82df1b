import t from 'tap';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { refreshError, USERS, userByLoginId } from '../../helpers/fapi.ts';
import { IbClient } from '../internet-banking/ib-client.ts';

// A refresh token lives only as long as what it stands for (DESIGN §5, §7): while its user is not
// active the token endpoint answers invalid_grant, as the resource API refuses the user's tokens.

const server = await startAuthServer(t);
const db = server.database.db;

t.test('five wrong login passwords lock the user: the refresh token answers invalid_grant until the user is active again', async (t) => {
  const s = await apiSessionFor(server, USERS.user2.loginId, USERS.user2.password);
  t.ok(s.tokens.refresh_token, 'a refresh token was issued');
  t.equal(await refreshError(s.c, s.tokens.refresh_token!), undefined, 'refreshes while the user is active');

  const ib = new IbClient(server.main);
  for (let i = 0; i < 5; i++) await ib.login(USERS.user2.loginId, 'Wrong-password-1');
  const user = await userByLoginId(db, USERS.user2.loginId);
  t.equal(user.status, 'locked', 'five wrong passwords locked the user');

  t.equal(await refreshError(s.c, s.tokens.refresh_token!), 'invalid_grant', 'a locked user cannot refresh');
  t.equal(await refreshError(s.c, s.tokens.refresh_token!), 'invalid_grant', 'not on a second try either');

  // An administrator's unlock ends with an active user again: the link was never ended, only refused.
  await db.updateTable('users').set({ status: 'active', login_failed_count: 0, locked_at: null }).where('id', '=', user.id).execute();
  t.equal(await refreshError(s.c, s.tokens.refresh_token!), undefined, 'refreshes again once the user is active');
});

t.test('every state but active refuses the refresh', async (t) => {
  const s = await apiSessionFor(server, USERS.hanako.loginId, USERS.hanako.password);
  const user = await userByLoginId(db, USERS.hanako.loginId);
  for (const status of ['locked', 'reset_pending', 'setup_required'] as const) {
    // The lock by an administrator: the same status, as the schema keeps it consistent with locked_at.
    await db.updateTable('users').set({ status, locked_at: status === 'locked' ? new Date() : null }).where('id', '=', user.id).execute();
    t.equal(await refreshError(s.c, s.tokens.refresh_token!), 'invalid_grant', `${status}: invalid_grant`);
  }
  await db.updateTable('users').set({ status: 'active', locked_at: null }).where('id', '=', user.id).execute();
  t.equal(await refreshError(s.c, s.tokens.refresh_token!), undefined, 'active again: refreshes');

  await db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', user.id).execute();
  t.equal(await refreshError(s.c, s.tokens.refresh_token!), 'invalid_grant', 'a deleted user cannot refresh, even with the grant left in place');
});
