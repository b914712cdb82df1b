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
import { certificateOrderInput, type CertificateOrderInput } from '../../business-id/certificate-orders.ts';
import { formError, langOf, render, requireRight, requireSession, type IbScreenOptions } from '../ib-pages.ts';
import { actorOf, pendingInput, propose, textsOf } from './business-id.pages.ts';
import { FormQuery, MAX_ROWS_PER_FORM, NewUsersBody, UserEditBody, UserListQuery, UserSelectionBody, USER_MODES } from './business-id.schemas.ts';
import { BUSINESS_ID_TEXTS } from './business-id.texts.ts';
import { invalidInput } from './form-input.ts';

type UserListMode = 'list' | (typeof USER_MODES)[number];

interface UserRow {
  userId?: string;
  /** The version of the user the edit form showed (edit only). */
  version?: number;
  loginId?: string;
  master?: boolean;
  name: string;
  email: string;
  groupId: string;
  /** 電子証明書発行（再発行） ticked (the password typed with it is never shown again). */
  certificate?: boolean;
  retrievalPassword?: string;
}

const texts = BUSINESS_ID_TEXTS.userForm;
const USER_FORM_LABELS = {
  userId: texts.userId, name: texts.name, email: texts.email, groupId: texts.group, certificate: texts.certificateOrder, retrievalPassword: texts.retrievalPassword,
};
const SELECTION_LABELS = { userIds: texts.userId };

const emptyRow = (): UserRow => ({ name: '', email: '', groupId: '' });

/**
 * The ordering part of a row (seed 003 §4-1/§4-2): ticked rows need their 証明書取得用パスワード, which is
 * checked and kept only as a hash from here on (business-id/certificate-orders.ts).
 */
async function certificateOf(r: UserRow, row: number): Promise<CertificateOrderInput | undefined> {
  if (!r.certificate) return undefined;
  if ((r.retrievalPassword ?? '') === '') throw new AppError(400, 'invalid_parameter', { message: texts.needPassword(row) });
  return certificateOrderInput(r.retrievalPassword!, row);
}

/** The rows' ticks from the form: the checkboxes carry their row's index. */
function tickedRows(certificate: string[]): Set<number> {
  return new Set(certificate.map(Number));
}

/** ユーザー一覧 (seed 003 §4), optionally for one group, in list mode or selecting users for an operation (`selected`: ticked again after 戻る). */
export async function userListPage(
  db: Db, request: FastifyRequest, reply: FastifyReply, data: { mode: UserListMode; group?: string; error?: string; selected?: string[] }, status = 200,
) {
  const { customerId } = actorOf(request);
  const groups = await listGroups(db, customerId);
  const groupId = groups.find((g) => g.id === data.group)?.id;
  const users = await listUsers(db, customerId, { groupId });
  return render(request, reply, 'business-id/users', {
    t: textsOf(request), users, groups, groupId: groupId ?? '', mode: data.mode, error: data.error, selected: data.selected ?? [], modes: USER_MODES,
    remaining: MAX_USERS_PER_CUSTOMER - (await countMembers(db, customerId)), now: new Date(),
  }, status);
}

/** ユーザー登録・編集 with `rows`. */
async function userFormPage(
  db: Db, request: FastifyRequest, reply: FastifyReply, data: { rows: UserRow[]; action: 'new' | 'edit'; error?: string }, status = 200,
) {
  const { customerId } = actorOf(request);
  // Passwords typed are never sent back to the browser: ticked rows ask for them again.
  const rows = data.rows.map(({ retrievalPassword: _typed, ...r }) => r);
  return render(request, reply, 'business-id/user-form', {
    t: textsOf(request), groups: await listGroups(db, customerId), remaining: MAX_USERS_PER_CUSTOMER - (await countMembers(db, customerId)),
    maxRows: MAX_ROWS_PER_FORM, nameMaxLength: MAX_USER_NAME_LENGTH, emailMaxLength: MAX_EMAIL_LENGTH,
    certificates: actorOf(request).certificateServiceActive, ...data, rows,
  }, status);
}

/** The edit form's rows for these users, with what was entered for them when `entered` is given (戻る). */
async function editRows(
  db: Db, customerId: string, ids: string[], entered?: { userId: string; version: number; name: string; email: string; groupId: string | null; certificate?: unknown }[],
): Promise<UserRow[]> {
  const users = (await listUsers(db, customerId)).filter((u) => ids.includes(u.id));
  if (users.length !== new Set(ids).size) throw new AppError(404, 'not_found');
  return ids.map((id) => {
    const u = users.find((x) => x.id === id)!;
    const e = entered?.find((x) => x.userId === id);
    return {
      userId: u.id, version: e?.version ?? u.version, loginId: u.login_id, name: e?.name ?? u.name, email: e?.email ?? u.email,
      groupId: (e ? e.groupId : u.group_id) ?? '', master: u.role === 'master', certificate: e?.certificate !== undefined,
    };
  });
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
    const mode: UserListMode = request.query.mode ?? 'list';
    const selection = SELECTIONS.find((x) => x.mode === String(mode));
    const selected = selection ? (await pendingInput(db, request, selection.kind, request.query.from))?.payload.userIds : undefined;
    return userListPage(db, request, reply, { mode, group: request.query.group, selected });
  });

  app.get('/ib/business-id/users/new', { schema: { querystring: FormQuery }, preHandler: admin }, async function showNewUsersForm(request, reply) {
    // Users belong to a group: without one, say what to do first instead of an empty choice.
    if ((await listGroups(db, actorOf(request).customerId)).length === 0) {
      return userListPage(db, request, reply, { mode: 'list', error: textsOf(request).users.needGroup }, 409);
    }
    const entered = (await pendingInput(db, request, 'user.create', request.query.from))?.payload.users;
    const rows = entered?.map((u) => ({ name: u.name, email: u.email, groupId: u.groupId, certificate: u.certificate !== undefined }));
    return userFormPage(db, request, reply, { rows: rows && rows.length > 0 ? rows : [emptyRow()], action: 'new' });
  });

  // 戻る from the confirmation of ユーザー編集: the edit form with what was entered.
  app.get('/ib/business-id/users/edit', { schema: { querystring: FormQuery }, preHandler: admin }, async function showUserEditFormAgain(request, reply) {
    const entered = (await pendingInput(db, request, 'user.update', request.query.from))?.payload.users;
    if (!entered) return userListPage(db, request, reply, { mode: 'edit' });
    const rows = await editRows(db, actorOf(request).customerId, entered.map((u) => u.userId), entered);
    return userFormPage(db, request, reply, { action: 'edit', rows });
  });

  app.post('/ib/business-id/users/new', { schema: { body: NewUsersBody }, attachValidation: true, preHandler: adminPost }, async function proposeNewUsers(request, reply) {
    let rows = [emptyRow()];
    try {
      if (request.validationError) throw invalidInput(request.validationError, USER_FORM_LABELS);
      const { name, email, groupId, add, certificate, retrievalPassword } = request.body;
      const ticked = tickedRows(certificate);
      rows = name.map((n, i) => ({ name: n, email: email[i] ?? '', groupId: groupId[i] ?? '', certificate: ticked.has(i), retrievalPassword: retrievalPassword[i] ?? '' }));
      if (add !== undefined) {
        // +1件追加 / +5件追加 without JavaScript: the form posts back and comes back with more rows.
        rows = [...rows, ...Array.from({ length: Number(add) }, emptyRow)].slice(0, MAX_ROWS_PER_FORM);
        return await userFormPage(db, request, reply, { rows, action: 'new' });
      }
      const filled = rows.filter((r) => r.name.trim() !== '' || r.email.trim() !== '');
      const users = [];
      for (const [i, r] of filled.entries()) {
        const certificate = await certificateOf(r, i + 1);
        users.push({ name: r.name.trim(), email: r.email.trim(), groupId: r.groupId, ...(certificate ? { certificate } : {}) });
      }
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
      const ids = [...new Set(request.body.userIds.filter(isUuid))];
      const texts = BUSINESS_ID_TEXTS.users;
      if (ids.length === 0) throw new AppError(400, 'invalid_parameter', { message: texts.chooseUsers });
      const rows = await editRows(db, actorOf(request).customerId, ids);
      // Seed 003 §4-2: the master's details are the master's own; a group administrator is not offered them.
      if (actorOf(request).role !== 'master' && rows.some((r) => r.master)) throw new AppError(403, 'master_protected', { message: texts.masterNotEditable });
      return await userFormPage(db, request, reply, { action: 'edit', rows });
    } catch (err) {
      const e = formError(err, langOf(request));
      return userListPage(db, request, reply, { mode: 'edit', error: e.message, selected: request.validationError ? [] : request.body.userIds }, e.status);
    }
  });

  app.post('/ib/business-id/users/edit/confirm', { schema: { body: UserEditBody }, attachValidation: true, preHandler: adminPost }, async function proposeUserChanges(request, reply) {
    if (request.validationError) {
      const e = formError(invalidInput(request.validationError, USER_FORM_LABELS), langOf(request));
      return userListPage(db, request, reply, { mode: 'edit', error: e.message }, e.status);
    }
    const { userId, version, name, email, groupId, certificate, retrievalPassword } = request.body;
    const all = await listUsers(db, actorOf(request).customerId);
    const ticked = tickedRows(certificate);
    const rows = userId.map((id, i) => {
      const u = all.find((x) => x.id === id);
      return {
        userId: id, version: Number(version[i] ?? -1), loginId: u?.login_id ?? '', master: u?.role === 'master',
        name: name[i] ?? '', email: email[i] ?? '', groupId: groupId[i] ?? '', certificate: ticked.has(i), retrievalPassword: retrievalPassword[i] ?? '',
      };
    });
    try {
      const users = [];
      for (const [i, r] of rows.entries()) {
        const certificate = await certificateOf(r, i + 1);
        users.push({ userId: r.userId, version: r.version, name: r.name.trim(), email: r.email.trim(), groupId: r.master ? null : r.groupId, ...(certificate ? { certificate } : {}) });
      }
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
        return userListPage(db, request, reply, { mode, error: e.message, selected: request.validationError ? [] : request.body.userIds }, e.status);
      }
    });
  }
};
