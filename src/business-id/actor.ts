import type { Db } from '../db/transaction.ts';
import type { CustomerKind, UserRole, UserStatus } from '../db/database.ts';

/**
 * Who is acting on the internet-banking screens, read fresh on every request: a member's rights come
 * from their group's current row, so a right removed takes effect on the next request.
 */
export interface Actor {
  id: string;
  customerId: string;
  customerName: string;
  customerKind: CustomerKind;
  businessIdActive: boolean;
  certificateServiceActive: boolean;
  loginId: string;
  name: string;
  email: string;
  role: UserRole;
  status: UserStatus;
  groupId: string | null;
  groupName: string | null;
  transactionPasswordLocked: boolean;
  lastLoginAt: Date | null;
  rights: {
    /** グループ・ユーザー権限設定: manage groups and users (seed 003 §3-1 row 6). */
    userAdmin: boolean;
    /** ログイン・操作履歴 (row 9). */
    auditLogView: boolean;
    /** 重要権限 (row 4): includes オプションサービスの申込・変更・解約 (お客さま情報). */
    importantOperations: boolean;
    /** セキュリティ関連設定 (row 5): ログイン方法 and limits, 電子証明書利用申込・解約. */
    securitySettings: boolean;
  };
}

export async function loadActor(db: Db, userId: string): Promise<Actor | undefined> {
  const r = await db
    .selectFrom('users')
    .innerJoin('customers', 'customers.id', 'users.customer_id')
    .leftJoin('groups', 'groups.id', 'users.group_id')
    .select([
      'users.id', 'users.customer_id', 'users.login_id', 'users.name', 'users.email', 'users.role', 'users.status', 'users.group_id',
      'users.transaction_password_locked_at', 'users.last_login_at',
      'customers.name as customer_name', 'customers.kind', 'customers.business_id_status', 'customers.certificate_service_status',
      'groups.name as group_name', 'groups.user_admin', 'groups.audit_log_view', 'groups.important_operations', 'groups.security_settings',
    ])
    .where('users.id', '=', userId)
    .where('users.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!r) return undefined;
  const master = r.role === 'master';
  return {
    id: r.id, customerId: r.customer_id, customerName: r.customer_name, customerKind: r.kind,
    businessIdActive: r.business_id_status === 'active', certificateServiceActive: r.certificate_service_status === 'active',
    loginId: r.login_id, name: r.name, email: r.email, role: r.role, status: r.status, groupId: r.group_id,
    groupName: r.group_name, transactionPasswordLocked: r.transaction_password_locked_at !== null, lastLoginAt: r.last_login_at,
    rights: {
      userAdmin: master || r.user_admin === true,
      auditLogView: master || r.audit_log_view === true,
      importantOperations: master || r.important_operations === true,
      securitySettings: master || r.security_settings === true,
    },
  };
}

/** Group and user management: ビジネスID管理 active, and the master or a group with グループ・ユーザー権限設定. */
export function canManageBusinessId(a: Actor): boolean {
  return a.customerKind === 'corporate' && a.businessIdActive && a.rights.userAdmin;
}

/** お客さま情報（申込・設定）: the corporate master (取引責任者) or 重要権限. */
export function canManageCustomerSettings(a: Actor): boolean {
  return a.customerKind === 'corporate' && a.rights.importantOperations;
}

/**
 * セキュリティ関連設定 (seed 003 §3-1 row 5): ログイン方法・認証方法, limits and 電子証明書利用申込・解約 —
 * the master or a group with that right.
 */
export function canManageSecuritySettings(a: Actor): boolean {
  return a.customerKind === 'corporate' && a.rights.securitySettings;
}

/** Who reaches お客さま情報（申込・設定） at all: either right shows the part it governs. */
export function canSeeCustomerSettings(a: Actor): boolean {
  return canManageCustomerSettings(a) || canManageSecuritySettings(a);
}

/**
 * The master's own certificate, ordered in お客さま情報 (DESIGN §14): the master's details are the master's
 * own (seed 003 §4-2), so only the master orders it, and its mail goes to the master.
 */
export function mayOrderOwnMasterCertificate(a: Actor): boolean {
  return a.customerKind === 'corporate' && a.role === 'master';
}

/**
 * The right each お客さま情報 change needs (seed 003 §2, §3-1): ビジネスID管理 申込・解約 is an オプションサービス
 * (重要権限); 電子証明書 解約 is セキュリティ関連設定. Every other change is ビジネスID管理 (§3, §4).
 */
const CUSTOMER_SETTINGS_CHANGES: ReadonlyMap<string, (a: Actor) => boolean> = new Map([
  ['business_id.apply', canManageCustomerSettings],
  ['business_id.cancel', canManageCustomerSettings],
  ['certificate_service.cancel', canManageSecuritySettings],
  ['certificate_service.apply', canManageSecuritySettings],
  ['login_method.change', canManageSecuritySettings],
  ['certificate.order_master', mayOrderOwnMasterCertificate],
]);

/**
 * Who may enter and confirm a change of this kind: the お客さま情報 right above, or {@link canManageBusinessId}
 * for group and user changes. Read on every request, so a right removed between entry and confirmation
 * refuses the confirmation.
 */
export function mayMakeChange(a: Actor, kind: string): boolean {
  return (CUSTOMER_SETTINGS_CHANGES.get(kind) ?? canManageBusinessId)(a);
}
