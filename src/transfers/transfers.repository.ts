import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { TransferApplicationStatus } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import { jstParts } from '../shared/jst.ts';
import type { MailFacts } from './transfer-mails.ts';

/** The reads the transfer services share: an application with everything its screens, mails and API answers show. */

export interface ApplicationItem {
  itemId: number;
  amount: string;
  fee: string;
  ediInfo: string | null;
  beneficiaryBankCode: string;
  beneficiaryBranchCode: string;
  accountTypeCode: string;
  accountNumber: string;
  beneficiaryName: string;
  beneficiaryAccountId: string | null;
}

export interface ApplicationRecord {
  id: string;
  seq: string;
  applyNo: string;
  customerId: string;
  customerKind: 'individual' | 'corporate';
  accountId: string;
  accountPublicId: string;
  accountLabel: string;
  requestedByUserId: string;
  requesterName: string;
  requesterLoginId: string;
  requesterEmail: string;
  clientId: string | null;
  /** The client's client_name (連携先サービス名) and the partner's legal name (提供会社名). */
  partnerServiceName: string;
  partnerLegalName: string;
  itemCount: number;
  totalAmount: string;
  totalFee: string;
  /** 振込依頼人名 (half-width kana) as the beneficiary will see it. */
  remitterName: string;
  designatedDate: string;
  applyComment: string | null;
  status: TransferApplicationStatus;
  applyEndAt: Date;
  decidedByUserId: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
  decisionComment: string | null;
  executedAt: Date | null;
  failureReason: string | null;
  version: number;
  createdAt: Date;
  items: ApplicationItem[];
}

/** 普通 for the 01 accounts transfers debit (the only type they may). */
const ACCOUNT_TYPE_LABELS: Record<string, string> = { '01': '普通', '11': '円定期', '51': '外貨普通' };

function accountLabel(a: { branch_name: string; account_type_code: string; account_number: string }): string {
  return `${a.branch_name} ${ACCOUNT_TYPE_LABELS[a.account_type_code] ?? a.account_type_code} ${a.account_number}`;
}

/** GMO's datetime: YYYY-MM-DDTHH:MM:SS+09:00. */
export function jstDateTime(d: Date): string {
  const p = jstParts(d);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}+09:00`;
}

/** 16 random digits, the first not 0: not guessable from the previous one, unlike a sequence. */
export function newApplyNo(): string {
  let s = String(randomInt(1, 10));
  while (s.length < 16) s += String(randomInt(0, 10));
  return s;
}

function baseQuery(db: Db) {
  return db
    .selectFrom('transfer_applications as t')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .innerJoin('customers as c', 'c.id', 't.customer_id')
    .innerJoin('users as ru', 'ru.id', 't.requested_by_user_id')
    .leftJoin('users as du', 'du.id', 't.decided_by_user_id')
    .leftJoin('oauth_clients as oc', 'oc.client_id', 't.client_id')
    .leftJoin('partners as p', 'p.id', 'oc.partner_id')
    .select([
      't.id', 't.seq', 't.apply_no', 't.customer_id', 'c.kind', 't.account_id', 'a.public_id', 'a.branch_name', 'a.account_type_code', 'a.account_number',
      't.requested_by_user_id', 'ru.name as requester_name', 'ru.login_id as requester_login_id', 'ru.email as requester_email',
      't.client_id', sql<string>`coalesce(oc.metadata->>'client_name', p.service_name, '')`.as('partner_service_name'),
      sql<string>`coalesce(p.legal_name, '')`.as('partner_legal_name'),
      't.item_count', 't.total_amount', 't.total_fee', 't.remitter_name', 't.designated_date', 't.apply_comment', 't.status', 't.apply_end_at',
      't.decided_by_user_id', 'du.name as decided_by_name', 't.decided_at', 't.decision_comment', 't.executed_at', 't.failure_reason',
      't.version', 't.created_at',
    ]);
}

export type ApplicationQuery = ReturnType<typeof baseQuery>;

/** Applications matching `filter` with their items, in the query's order. */
export async function loadApplications(db: Db, filter: (q: ApplicationQuery) => ApplicationQuery): Promise<ApplicationRecord[]> {
  const rows = await filter(baseQuery(db)).execute();
  if (rows.length === 0) return [];
  const items = await db
    .selectFrom('transfer_items')
    .selectAll()
    .where('application_id', 'in', rows.map((r) => r.id))
    .orderBy('application_id')
    .orderBy('item_id')
    .execute();
  const byApp = new Map<string, ApplicationItem[]>();
  for (const i of items) {
    const list = byApp.get(i.application_id) ?? [];
    list.push({
      itemId: i.item_id, amount: String(i.amount), fee: String(i.fee), ediInfo: i.edi_info, beneficiaryBankCode: i.beneficiary_bank_code,
      beneficiaryBranchCode: i.beneficiary_branch_code, accountTypeCode: i.account_type_code, accountNumber: i.account_number,
      beneficiaryName: i.beneficiary_name, beneficiaryAccountId: i.beneficiary_account_id,
    });
    byApp.set(i.application_id, list);
  }
  return rows.map((r) => ({
    id: r.id, seq: String(r.seq), applyNo: r.apply_no, customerId: r.customer_id, customerKind: r.kind, accountId: r.account_id,
    accountPublicId: r.public_id, accountLabel: accountLabel(r), requestedByUserId: r.requested_by_user_id,
    requesterName: r.requester_name, requesterLoginId: r.requester_login_id, requesterEmail: r.requester_email, clientId: r.client_id,
    partnerServiceName: r.partner_service_name, partnerLegalName: r.partner_legal_name, itemCount: r.item_count,
    totalAmount: String(r.total_amount), totalFee: String(r.total_fee), remitterName: r.remitter_name, designatedDate: r.designated_date,
    applyComment: r.apply_comment, status: r.status, applyEndAt: r.apply_end_at, decidedByUserId: r.decided_by_user_id,
    decidedByName: r.decided_by_name, decidedAt: r.decided_at, decisionComment: r.decision_comment, executedAt: r.executed_at,
    failureReason: r.failure_reason, version: r.version, createdAt: r.created_at, items: byApp.get(r.id) ?? [],
  }));
}

export async function loadApplication(db: Db, id: string): Promise<ApplicationRecord | undefined> {
  const [row] = await loadApplications(db, (q) => q.where('t.id', '=', id));
  return row;
}

export function mailFacts(a: ApplicationRecord): MailFacts {
  return {
    applyNo: a.applyNo, requesterName: a.requesterName, partnerName: a.partnerServiceName || '—', accountLabel: a.accountLabel,
    totalAmount: a.totalAmount, itemCount: a.itemCount, designatedDate: a.designatedDate,
  };
}

/**
 * The active users who may decide on applications of an account (DESIGN §17): the master user, an
 * individual customer's user, and members whose group has 承認権限 and 振込・振替 on the account.
 */
export async function approverAddresses(db: Db, customerId: string, accountId: string): Promise<Array<{ id: string; email: string }>> {
  return db
    .selectFrom('users as u')
    .innerJoin('customers as c', 'c.id', 'u.customer_id')
    .leftJoin('groups as g', 'g.id', 'u.group_id')
    .leftJoin('group_account_rights as r', (j) => j.onRef('r.group_id', '=', 'u.group_id').on('r.account_id', '=', accountId))
    .select(['u.id', 'u.email'])
    .where('u.customer_id', '=', customerId)
    .where('u.status', '=', 'active')
    .where('u.deleted_at', 'is', null)
    .where((eb) => eb.or([
      eb('u.role', '=', 'master'),
      eb('c.kind', '=', 'individual'),
      eb.and([eb('g.approval_authority', '=', true), eb('r.transfer', '=', true)]),
    ]))
    .orderBy('u.login_id')
    .execute();
}
