import { sql } from 'kysely';
import type { Db } from '../db/transaction.ts';
import { inTransaction } from '../db/transaction.ts';
import { isUniqueViolation } from '../shared/db-errors.ts';
import { AppError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { lockCorporateWithBusinessId } from './customers.repository.ts';
import { countGroups } from './groups.repository.ts';
import { validatePermissions, type GroupPermissions } from './permissions.ts';

/** Seed 003 §3-1: グループは最大100個作成できます。 */
export const MAX_GROUPS_PER_CUSTOMER = 100;
/** The longest group name, counted after trimming. */
export const MAX_GROUP_NAME_LENGTH = 30;

/** The group name rule: 1 to {@link MAX_GROUP_NAME_LENGTH} characters once trimmed; returns the trimmed name. */
export function checkGroupName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_GROUP_NAME_LENGTH) {
    throw new AppError(400, 'invalid_parameter', {
      message: {
        ja: `グループ名は1〜${MAX_GROUP_NAME_LENGTH}文字で入力してください。`,
        en: `The group name must be 1 to ${MAX_GROUP_NAME_LENGTH} characters.`,
      },
    });
  }
  return trimmed;
}

/** Refuses one group more than {@link MAX_GROUPS_PER_CUSTOMER}, given how many the customer has now. */
export function assertGroupFits(existing: number): void {
  if (existing >= MAX_GROUPS_PER_CUSTOMER) {
    throw new AppError(409, 'group_limit_reached', {
      message: {
        ja: `グループは最大${MAX_GROUPS_PER_CUSTOMER}個まで登録できます。`,
        en: `A customer can have at most ${MAX_GROUPS_PER_CUSTOMER} groups.`,
      },
    });
  }
}

export interface NewGroupInput {
  customerId: string;
  name: string;
  permissions: GroupPermissions;
}

/** The group's columns for a permission set (the database's names). */
function groupColumns(p: GroupPermissions) {
  return {
    approval_authority: p.approval.authority,
    approval_limit: p.approval.authority ? p.approval.limitYen : null,
    self_approval_limit: p.approval.authority ? p.approval.selfLimitYen : null,
    time_deposit_inquiry: p.timeDeposit.inquiry,
    time_deposit_operate: p.timeDeposit.operate,
    fx_inquiry: p.fx.inquiry,
    fx_operate: p.fx.operate,
    important_operations: p.other.importantOperations,
    security_settings: p.other.securitySettings,
    user_admin: p.other.userAdmin,
    account_transfer_service: p.other.accountTransferService,
    virtual_account_service: p.other.virtualAccountService,
    audit_log_view: p.other.auditLogView,
    smartphone_app: p.other.smartphoneApp,
    document_issuance: p.other.documentIssuance,
  };
}

/**
 * Creates a group with its rights, in one transaction: the customer must have ビジネスID管理, may hold
 * at most {@link MAX_GROUPS_PER_CUSTOMER} groups, names are unique per customer, the rights must be
 * consistent and may only name the customer's own 円普通預金 accounts.
 * @returns the new group's id
 */
export async function createGroup(db: Db, input: NewGroupInput): Promise<string> {
  const name = checkGroupName(input.name);
  assertConsistent(input.permissions);
  return inTransaction(db, async (trx) => {
    await lockCorporateWithBusinessId(trx, input.customerId);
    assertGroupFits(await countGroups(trx, input.customerId));
    await assertOwnOrdinaryAccounts(trx, input.customerId, input.permissions);

    let groupId: string;
    try {
      const row = await trx
        .insertInto('groups')
        .values({ customer_id: input.customerId, name, ...groupColumns(input.permissions) })
        .returning('id')
        .executeTakeFirstOrThrow();
      groupId = row.id;
    } catch (err) {
      if (isUniqueViolation(err, 'groups__name_unique')) throw new AppError(409, 'group_name_taken');
      throw err;
    }
    await insertAccountRights(trx, groupId, input.customerId, input.permissions);
    return groupId;
  });
}

export function assertConsistent(p: GroupPermissions): void {
  const violations = validatePermissions(p);
  if (violations.length > 0) {
    throw new AppError(400, 'invalid_permissions', {
      message: {
        ja: violations.map((v) => v.message.ja).join(' '),
        en: violations.map((v) => v.message.en).join(' '),
      },
      detail: violations.map((v) => v.field),
    });
  }
}

/** Per-account rights may only name this customer's 円普通預金 accounts. */
async function assertOwnOrdinaryAccounts(trx: Db, customerId: string, p: GroupPermissions): Promise<void> {
  const ids = p.accounts.map((a) => a.accountId);
  if (ids.length === 0) return;
  if (!ids.every(isUuid)) throw new AppError(400, 'invalid_permissions', { detail: 'account id is not a uuid' });
  const own = await trx
    .selectFrom('accounts')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('account_type_code', '=', '01')
    .where('id', 'in', ids)
    .execute();
  if (own.length !== new Set(ids).size) {
    throw new AppError(400, 'invalid_permissions', {
      message: { ja: '指定された口座は設定できません。', en: 'Rights can only be set on the customer’s own ordinary yen accounts.' },
    });
  }
}

async function insertAccountRights(trx: Db, groupId: string, customerId: string, p: GroupPermissions): Promise<void> {
  const rows = p.accounts
    .filter((a) => a.inquiry)
    .map((a) => ({
      group_id: groupId,
      customer_id: customerId,
      account_id: a.accountId,
      inquiry: true,
      operate: a.operate,
      transfer: a.transfer,
      bulk_transfer: a.bulkTransfer,
    }));
  if (rows.length > 0) await trx.insertInto('group_account_rights').values(rows).execute();
}

export interface GroupUpdateInput extends NewGroupInput {
  groupId: string;
}

/**
 * Replaces a group's name and rights (seed 003 §3-2) in one transaction, under the customer's row lock,
 * and bumps its version (an edit form shown before this one is then refused at its confirmation). Takes
 * effect on the next request or API call of its members: nothing caches rights.
 */
export async function updateGroup(db: Db, input: GroupUpdateInput): Promise<void> {
  if (!isUuid(input.groupId)) throw new AppError(404, 'not_found');
  const name = checkGroupName(input.name);
  assertConsistent(input.permissions);
  await inTransaction(db, async (trx) => {
    await lockCorporateWithBusinessId(trx, input.customerId);
    await assertOwnOrdinaryAccounts(trx, input.customerId, input.permissions);
    try {
      const updated = await trx
        .updateTable('groups')
        .set((eb) => ({ name, ...groupColumns(input.permissions), version: sql<number>`${eb.ref('version')} + 1`, updated_at: new Date() }))
        .where('id', '=', input.groupId)
        .where('customer_id', '=', input.customerId)
        .returning('id')
        .executeTakeFirst();
      if (!updated) throw new AppError(404, 'not_found');
    } catch (err) {
      if (isUniqueViolation(err, 'groups__name_unique')) throw new AppError(409, 'group_name_taken');
      throw err;
    }
    await trx.deleteFrom('group_account_rights').where('group_id', '=', input.groupId).execute();
    await insertAccountRights(trx, input.groupId, input.customerId, input.permissions);
  });
}

/**
 * A group's rights as the permission model reads them (for the edit screen and the self-protection rules),
 * with the version the edit form carries back.
 */
export async function readGroup(db: Db, customerId: string, groupId: string): Promise<{ id: string; name: string; version: number; permissions: GroupPermissions } | undefined> {
  if (!isUuid(groupId)) return undefined;
  const g = await db.selectFrom('groups').selectAll().where('id', '=', groupId).where('customer_id', '=', customerId).executeTakeFirst();
  if (!g) return undefined;
  const rights = await db.selectFrom('group_account_rights').selectAll().where('group_id', '=', groupId).execute();
  return {
    id: g.id,
    name: g.name,
    version: g.version,
    permissions: {
      accounts: rights.map((r) => ({ accountId: r.account_id, inquiry: r.inquiry, operate: r.operate, transfer: r.transfer, bulkTransfer: r.bulk_transfer })),
      approval: g.approval_authority
        ? { authority: true, limitYen: Number(g.approval_limit), selfLimitYen: Number(g.self_approval_limit) }
        : { authority: false },
      timeDeposit: { inquiry: g.time_deposit_inquiry, operate: g.time_deposit_operate },
      fx: { inquiry: g.fx_inquiry, operate: g.fx_operate },
      other: {
        importantOperations: g.important_operations, securitySettings: g.security_settings, userAdmin: g.user_admin,
        accountTransferService: g.account_transfer_service, virtualAccountService: g.virtual_account_service,
        auditLogView: g.audit_log_view, smartphoneApp: g.smartphone_app, documentIssuance: g.document_issuance,
      },
    },
  };
}
