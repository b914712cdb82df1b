import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { canManageBusinessId } from '../../business-id/actor.ts';
import { MAX_EMAIL_LENGTH, MAX_USER_NAME_LENGTH } from '../../business-id/changes.ts';
import { listGroups } from '../../business-id/groups.repository.ts';
import { countMembers, listUsers } from '../../business-id/users.repository.ts';
import { MAX_USERS_PER_CUSTOMER } from '../../business-id/users.service.ts';
import type { Db } from '../../db/transaction.ts';
import { AppError } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { formError, langOf, render, requireRight, requireSession, type IbScreenOptions } from '../ib-pages.ts';
import { actorOf, propose, textsOf } from './business-id.pages.ts';
import { MAX_ROWS_PER_FORM, NewUsersBody, ScreenQuery, UserEditBody, UserListQuery, UserSelectionBody, USER_MODES } from './business-id.schemas.ts';
import { BUSINESS_ID_TEXTS } from './business-id.texts.ts';
import { invalidInput } from './form-input.ts';

type UserListMode = 'list' | (typeof USER_MODES)[number];

interface UserRow {
  userId?: string;
  loginId?: string;
  master?: boolean;
  name: string;
  email: string;
  groupId: string;
}

const texts = BUSINESS_ID_TEXTS.userForm;
const USER_FORM_LABELS = { userId: texts.userId, name: texts.name, email: texts.email, groupId: texts.group };
const SELECTION_LABELS = { userIds: texts.userId };

const emptyRow = (): UserRow => ({ name: '', email: '', groupId: '' });

/** ユーザー一覧 (seed 003 §4), optionally for one group, in list mode or selecting users for an operation. */
async function userListPage(
  db: Db, request: FastifyRequest, reply: FastifyReply, data: { mode: UserListMode; group?: string; error?: string }, status = 200,
) {
  const { customerId } = actorOf(request);
  const groups = await listGroups(db, customerId);
  const groupId = groups.find((g) => g.id === data.group)?.id;
  const users = await listUsers(db, customerId, { groupId });
  return render(request, reply, 'business-id/users', {
    t: textsOf(request), users, groups, groupId: groupId ?? '', mode: data.mode, error: data.error, modes: USER_MODES,
    remaining: MAX_USERS_PER_CUSTOMER - (await countMembers(db, customerId)), now: new Date(),
  }, status);
}

/** ユーザー登録・編集 with `rows`. */
async function userFormPage(
  db: Db, request: FastifyRequest, reply: FastifyReply, data: { rows: UserRow[]; action: 'new' | 'edit'; error?: string }, status = 200,
) {
  const { customerId } = actorOf(request);
  return render(request, reply, 'business-id/user-form', {
    t: textsOf(request), groups: await listGroups(db, customerId), remaining: MAX_USERS_PER_CUSTOMER - (await countMembers(db, customerId)),
    maxRows: MAX_ROWS_PER_FORM, nameMaxLength: MAX_USER_NAME_LENGTH, emailMaxLength: MAX_EMAIL_LENGTH, ...data,
  }, status);
}

/** The operations on users chosen in ユーザー一覧, each proposed for confirmation. */
const SELECTIONS = [
  { mode: 'delete', kind: 'user.delete' },
  { mode: 'login-reset', kind: 'password.login_reset' },
  { mode: 'transaction-reset', kind: 'password.transaction_reset' },
] as const;

/** The users of ビジネスID管理: the list, 登録, 編集, 削除 and the password resets (ロック解除). */
export const usersRoutes: FastifyPluginAsync<IbScreenOptions> = async function usersRoutes(base, opts) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = opts;
  const admin = [requireSession(opts), requireRight(canManageBusinessId)];
  const adminPost = [opts.verifyForm, ...admin];

  app.get('/ib/business-id/users', { schema: { querystring: UserListQuery }, preHandler: admin }, async function showUsers(request, reply) {
    return userListPage(db, request, reply, { mode: request.query.mode ?? 'list', group: request.query.group });
  });

  app.get('/ib/business-id/users/new', { schema: { querystring: ScreenQuery }, preHandler: admin }, async function showNewUsersForm(request, reply) {
    return userFormPage(db, request, reply, { rows: [emptyRow()], action: 'new' });
  });

  app.post('/ib/business-id/users/new', { schema: { body: NewUsersBody }, attachValidation: true, preHandler: adminPost }, async function proposeNewUsers(request, reply) {
    let rows = [emptyRow()];
    try {
      if (request.validationError) throw invalidInput(request.validationError, USER_FORM_LABELS);
      const { name, email, groupId, add } = request.body;
      rows = name.map((n, i) => ({ name: n, email: email[i] ?? '', groupId: groupId[i] ?? '' }));
      if (add !== undefined) {
        // +1件追加 / +5件追加 without JavaScript: the form posts back and comes back with more rows.
        rows = [...rows, ...Array.from({ length: Number(add) }, emptyRow)].slice(0, MAX_ROWS_PER_FORM);
        return await userFormPage(db, request, reply, { rows, action: 'new' });
      }
      const filled = rows.filter((r) => r.name.trim() !== '' || r.email.trim() !== '');
      const users = filled.map((r) => ({ name: r.name.trim(), email: r.email.trim(), groupId: r.groupId }));
      return await propose(db, request, reply, { kind: 'user.create', payload: { users } });
    } catch (err) {
      const e = formError(err, langOf(request));
      return userFormPage(db, request, reply, { rows: rows.length > 0 ? rows : [emptyRow()], action: 'new', error: e.message }, e.status);
    }
  });

  // The users ticked in the list → the edit form for them.
  app.post('/ib/business-id/users/edit', { schema: { body: UserSelectionBody }, attachValidation: true, preHandler: adminPost }, async function showUserEditForm(request, reply) {
    try {
      if (request.validationError) throw invalidInput(request.validationError, SELECTION_LABELS);
      const ids = request.body.userIds.filter(isUuid);
      if (ids.length === 0) throw new AppError(400, 'invalid_parameter', { message: { ja: '編集対象ユーザーを選択してください。', en: 'Select the users to edit.' } });
      const users = (await listUsers(db, actorOf(request).customerId)).filter((u) => ids.includes(u.id));
      if (users.length !== new Set(ids).size) throw new AppError(404, 'not_found');
      const rows = users.map((u) => ({ userId: u.id, loginId: u.login_id, name: u.name, email: u.email, groupId: u.group_id ?? '', master: u.role === 'master' }));
      return await userFormPage(db, request, reply, { action: 'edit', rows });
    } catch (err) {
      const e = formError(err, langOf(request));
      return userListPage(db, request, reply, { mode: 'edit', error: e.message }, e.status);
    }
  });

  app.post('/ib/business-id/users/edit/confirm', { schema: { body: UserEditBody }, attachValidation: true, preHandler: adminPost }, async function proposeUserChanges(request, reply) {
    if (request.validationError) {
      const e = formError(invalidInput(request.validationError, USER_FORM_LABELS), langOf(request));
      return userListPage(db, request, reply, { mode: 'edit', error: e.message }, e.status);
    }
    const { userId, name, email, groupId } = request.body;
    const all = await listUsers(db, actorOf(request).customerId);
    const rows = userId.map((id, i) => {
      const u = all.find((x) => x.id === id);
      return { userId: id, loginId: u?.login_id ?? '', master: u?.role === 'master', name: name[i] ?? '', email: email[i] ?? '', groupId: groupId[i] ?? '' };
    });
    try {
      const users = rows.map((r) => ({ userId: r.userId, name: r.name.trim(), email: r.email.trim(), groupId: r.master ? null : r.groupId }));
      return await propose(db, request, reply, { kind: 'user.update', payload: { users } });
    } catch (err) {
      const e = formError(err, langOf(request));
      return userFormPage(db, request, reply, { rows, action: 'edit', error: e.message }, e.status);
    }
  });

  for (const { mode, kind } of SELECTIONS) {
    app.post(`/ib/business-id/users/${mode}`, { schema: { body: UserSelectionBody }, attachValidation: true, preHandler: adminPost }, async function proposeForUsers(request, reply) {
      try {
        if (request.validationError) throw invalidInput(request.validationError, SELECTION_LABELS);
        return await propose(db, request, reply, { kind, payload: { userIds: [...new Set(request.body.userIds)] } });
      } catch (err) {
        const e = formError(err, langOf(request));
        return userListPage(db, request, reply, { mode, error: e.message }, e.status);
      }
    });
  }
};
