import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { canManageBusinessId } from '../../business-id/actor.ts';
import { listGroups, listOrdinaryAccounts } from '../../business-id/groups.repository.ts';
import { MAX_GROUP_NAME_LENGTH, MAX_GROUPS_PER_CUSTOMER, readGroup } from '../../business-id/groups.service.ts';
import type { Db } from '../../db/transaction.ts';
import { AppError } from '../../shared/errors.ts';
import { formError, langOf, render, requireRight, requireSession, type IbScreenOptions } from '../ib-pages.ts';
import { actorOf, pendingInput, propose, textsOf } from './business-id.pages.ts';
import { FormQuery, GroupEditBody, GroupEditQuery, GroupListQuery, GroupSelectionBody, GroupViewQuery, NewGroupBody } from './business-id.schemas.ts';
import { BUSINESS_ID_TEXTS, YEN_PER_MAN } from './business-id.texts.ts';
import { invalidInput } from './form-input.ts';
import { emptyGroup, GROUP_FORM_LABELS, OTHER_RIGHT_KEYS, readGroupForm, type GroupInput } from './group-form.ts';

type GroupListMode = 'list' | 'edit' | 'delete';

/** グループ一覧 (seed 003 §3), in list mode or selecting groups to edit or delete (`selected`: ticked again after 戻る). */
export async function groupListPage(
  db: Db, request: FastifyRequest, reply: FastifyReply, data: { mode: GroupListMode; error?: string; selected?: string[] }, status = 200,
) {
  const groups = await listGroups(db, actorOf(request).customerId);
  return render(request, reply, 'business-id/groups', {
    t: textsOf(request), groups, remaining: MAX_GROUPS_PER_CUSTOMER - groups.length, now: new Date(), ...data, selected: data.selected ?? [],
  }, status);
}

/** グループ新規登録 / グループ編集, filled with `group`. */
async function groupFormPage(
  db: Db, request: FastifyRequest, reply: FastifyReply,
  data: { group: GroupInput; action: 'new' | 'edit'; groupId?: string; version?: number; error?: string }, status = 200,
) {
  const accounts = await listOrdinaryAccounts(db, actorOf(request).customerId);
  const { approval } = data.group.permissions;
  return render(request, reply, 'business-id/group-form', {
    t: textsOf(request), accounts, otherRightKeys: OTHER_RIGHT_KEYS, nameMaxLength: MAX_GROUP_NAME_LENGTH,
    limitMan: approval.authority ? String(approval.limitYen / YEN_PER_MAN) : '',
    selfLimitMan: approval.authority ? String(approval.selfLimitYen / YEN_PER_MAN) : '',
    ...data,
  }, status);
}

/** The groups of ビジネスID管理: the list, 新規登録, 編集 and 削除, each ending on the confirmation screen. */
export const groupsRoutes: FastifyPluginAsync<IbScreenOptions> = async function groupsRoutes(base, opts) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = opts;
  const admin = [requireSession(opts), requireRight(canManageBusinessId)];
  const adminPost = [opts.verifyForm, ...admin];

  app.get('/ib/business-id/groups', { schema: { querystring: GroupListQuery }, preHandler: admin }, async function showGroups(request, reply) {
    const mode = request.query.mode ?? 'list';
    const selected = mode === 'delete' ? (await pendingInput(db, request, 'group.delete', request.query.from))?.payload.groupIds : undefined;
    return groupListPage(db, request, reply, { mode, selected });
  });

  app.get('/ib/business-id/groups/new', { schema: { querystring: FormQuery }, preHandler: admin }, async function showNewGroupForm(request, reply) {
    const group = (await pendingInput(db, request, 'group.create', request.query.from))?.payload ?? emptyGroup();
    return groupFormPage(db, request, reply, { group, action: 'new' });
  });

  // A group's rights, read-only: what グループ一覧 links each group name to.
  app.get('/ib/business-id/groups/view', { schema: { querystring: GroupViewQuery }, preHandler: admin }, async function showGroup(request, reply) {
    const { customerId } = actorOf(request);
    const group = await readGroup(db, customerId, request.query.groupId);
    if (!group) return groupListPage(db, request, reply, { mode: 'list', error: textsOf(request).groups.chooseGroup }, 404);
    return render(request, reply, 'business-id/group-view', {
      t: textsOf(request), group, accounts: await listOrdinaryAccounts(db, customerId), otherRightKeys: OTHER_RIGHT_KEYS,
    });
  });

  app.post('/ib/business-id/groups/new', { schema: { body: NewGroupBody }, attachValidation: true, preHandler: adminPost }, async function proposeNewGroup(request, reply) {
    let group = emptyGroup();
    try {
      if (request.validationError) throw invalidInput(request.validationError, GROUP_FORM_LABELS);
      const accounts = await listOrdinaryAccounts(db, actorOf(request).customerId);
      group = readGroupForm(request.body, accounts.map((a) => a.id));
      return await propose(db, request, reply, { kind: 'group.create', payload: group });
    } catch (err) {
      const e = formError(err, langOf(request));
      return groupFormPage(db, request, reply, { group, action: 'new', error: e.message }, e.status);
    }
  });

  app.get('/ib/business-id/groups/edit', { schema: { querystring: GroupEditQuery }, preHandler: admin }, async function showGroupEditForm(request, reply) {
    const again = (await pendingInput(db, request, 'group.update', request.query.from))?.payload;
    if (again) return groupFormPage(db, request, reply, { group: again, groupId: again.groupId, version: again.version, action: 'edit' });
    const group = await readGroup(db, actorOf(request).customerId, request.query.groupId);
    // Nothing (or no longer anything) selected: the selection screen again, with the message.
    if (!group) return groupListPage(db, request, reply, { mode: 'edit', error: textsOf(request).groups.chooseGroup }, 400);
    return groupFormPage(db, request, reply, { group, groupId: group.id, version: group.version, action: 'edit' });
  });

  app.post('/ib/business-id/groups/edit', { schema: { body: GroupEditBody }, attachValidation: true, preHandler: adminPost }, async function proposeGroupChange(request, reply) {
    if (request.validationError) {
      const e = formError(invalidInput(request.validationError, GROUP_FORM_LABELS), langOf(request));
      return groupListPage(db, request, reply, { mode: 'edit', error: e.message }, e.status);
    }
    const { groupId } = request.body;
    // The version the form was shown with: kept through corrections, so a stale form stays stale.
    const version = Number(request.body.version);
    let group = emptyGroup();
    try {
      const accounts = await listOrdinaryAccounts(db, actorOf(request).customerId);
      group = readGroupForm(request.body, accounts.map((a) => a.id));
      return await propose(db, request, reply, { kind: 'group.update', payload: { groupId, version, ...group } });
    } catch (err) {
      const e = formError(err, langOf(request));
      return groupFormPage(db, request, reply, { group, groupId, version, action: 'edit', error: e.message }, e.status);
    }
  });

  app.post('/ib/business-id/groups/delete', { schema: { body: GroupSelectionBody }, attachValidation: true, preHandler: adminPost }, async function proposeGroupDeletion(request, reply) {
    try {
      if (request.validationError) throw invalidInput(request.validationError, { groupIds: BUSINESS_ID_TEXTS.groups.name });
      return await propose(db, request, reply, { kind: 'group.delete', payload: { groupIds: [...new Set(request.body.groupIds)] } });
    } catch (err) {
      const e = formError(err, langOf(request));
      const selected = request.validationError ? [] : request.body.groupIds;
      return groupListPage(db, request, reply, { mode: 'delete', error: e.message, selected }, e.status);
    }
  });
};
