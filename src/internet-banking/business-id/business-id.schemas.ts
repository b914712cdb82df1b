import { CloneType, Type, type Static, type TSchema } from '@sinclair/typebox';
import { MAX_GROUPS_PER_CUSTOMER } from '../../business-id/groups.service.ts';
import { MAX_USERS_PER_CUSTOMER } from '../../business-id/users.service.ts';
import { CsrfField, FormText, LangQuery } from '../ib.schemas.ts';

/**
 * Request schemas of the ビジネスID管理 screens. Forms arrive through @fastify/formbody as strings (a
 * repeated field as an array; Ajv's `coerceTypes: 'array'` turns a single value into a one-element
 * array where the schema wants one). The bounds here only keep input sane; the domain rules
 * (business-id/) give the precise limits and messages.
 */

/** Generous for any single field of these forms; a longer value is not something a person typed. */
const MAX_FIELD_LENGTH = 1000;

/** A text field; an absent one reads as empty, as a browser sends an empty input. */
const Text = CloneType(FormText(MAX_FIELD_LENGTH), { default: '' });
/** An id the domain checks (a non-uuid is a clear 400/404 there, never a database error). */
const Id = FormText(64);
const OptionalId = CloneType(Id, { default: '' });
/** The version of a row an edit form showed (hidden); the confirmation refuses the edit if the row moved on. */
const Version = Type.String({ pattern: '^[0-9]{1,9}$' });
const Checkbox = Type.Optional(Type.Literal('on'));
const YesNo = Type.Union([Type.Literal('yes'), Type.Literal('no')], { default: 'no' });
const rows = <T extends TSchema>(item: T, maxItems: number) => Type.Array(item, { maxItems, default: [] });

/** 電子証明書発行（再発行） of a row: the checkbox's value is the row's index (unticked boxes are not sent). */
const RowIndex = Type.String({ pattern: '^[0-9]{1,3}$' });
/** 証明書取得用パスワード, one per row (empty where not ordered); the rule itself is certificates/orders.ts. */
const RetrievalPassword = CloneType(FormText(256), { default: '' });

/** Rows of the ユーザー登録 form at a time (+1件追加 / +5件追加 stop there). */
export const MAX_ROWS_PER_FORM = 20;

/** `a_<accountId>_<right>`: one checkbox per 円普通預金 account and right. */
export const ACCOUNT_RIGHT_FIELD = /^a_[0-9A-Fa-f-]{1,64}_(?:inquiry|operate|transfer|bulk)$/;

const groupFormFields = {
  ...CsrfField,
  name: Text,
  approval: YesNo,
  approvalLimitMan: Text,
  selfApprovalLimitMan: Text,
  timeDepositInquiry: Checkbox,
  timeDepositOperate: Checkbox,
  fxInquiry: Checkbox,
  fxOperate: Checkbox,
  importantOperations: YesNo,
  securitySettings: YesNo,
  userAdmin: YesNo,
  accountTransferService: YesNo,
  virtualAccountService: YesNo,
  auditLogView: YesNo,
  smartphoneApp: YesNo,
  documentIssuance: YesNo,
};
const accountRights = { patternProperties: { [ACCOUNT_RIGHT_FIELD.source]: Type.Literal('on') }, additionalProperties: false };

/** グループ新規登録. */
export const NewGroupBody = Type.Object(groupFormFields, accountRights);
/** グループ編集: the same form for one group. */
export const GroupEditBody = Type.Object({ ...groupFormFields, groupId: OptionalId, version: Version }, accountRights);
export type GroupFormBody = Static<typeof NewGroupBody>;

/** A form screen; `from` names the unconfirmed change whose input it shows again (戻る on the confirmation). */
export const FormQuery = Type.Object({ ...LangQuery, from: Type.Optional(Id) });

export const GroupListQuery = Type.Object({
  ...LangQuery,
  mode: Type.Optional(Type.Union([Type.Literal('edit'), Type.Literal('delete')])),
  from: Type.Optional(Id),
});
export const GroupEditQuery = Type.Object({ ...LangQuery, groupId: OptionalId, from: Type.Optional(Id) });
/** The read-only view of one group's rights. */
export const GroupViewQuery = Type.Object({ ...LangQuery, groupId: OptionalId });
/** グループ削除: the ticked groups. */
export const GroupSelectionBody = Type.Object({ ...CsrfField, groupIds: rows(Id, MAX_GROUPS_PER_CUSTOMER) }, { additionalProperties: false });

export const USER_MODES = ['edit', 'delete', 'login-reset', 'transaction-reset'] as const;
export const UserListQuery = Type.Object({
  ...LangQuery,
  group: Type.Optional(Id),
  mode: Type.Optional(Type.Union(USER_MODES.map((m) => Type.Literal(m)))),
  from: Type.Optional(Id),
});
/** ユーザー登録: rows of name, mail and group; `add` asks for more rows instead of confirming. */
export const NewUsersBody = Type.Object({
  ...CsrfField,
  name: rows(Text, MAX_ROWS_PER_FORM),
  email: rows(Text, MAX_ROWS_PER_FORM),
  groupId: rows(OptionalId, MAX_ROWS_PER_FORM),
  certificate: rows(RowIndex, MAX_ROWS_PER_FORM),
  retrievalPassword: rows(RetrievalPassword, MAX_ROWS_PER_FORM),
  add: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('5')])),
  action: Type.Optional(Type.Literal('confirm')),
}, { additionalProperties: false });
/** ユーザー編集: every member and the master at most. */
export const UserEditBody = Type.Object({
  ...CsrfField,
  userId: rows(Id, MAX_USERS_PER_CUSTOMER + 1),
  version: rows(Version, MAX_USERS_PER_CUSTOMER + 1),
  name: rows(Text, MAX_USERS_PER_CUSTOMER + 1),
  email: rows(Text, MAX_USERS_PER_CUSTOMER + 1),
  groupId: rows(OptionalId, MAX_USERS_PER_CUSTOMER + 1),
  certificate: rows(RowIndex, MAX_USERS_PER_CUSTOMER + 1),
  retrievalPassword: rows(RetrievalPassword, MAX_USERS_PER_CUSTOMER + 1),
  action: Type.Optional(Type.Literal('confirm')),
}, { additionalProperties: false });
/** The ticked users of ユーザー一覧 (編集, 削除, パスワード再設定). */
export const UserSelectionBody = Type.Object({ ...CsrfField, userIds: rows(Id, MAX_USERS_PER_CUSTOMER + 1) }, { additionalProperties: false });

export const ConfirmParams = Type.Object({ id: Id });
export const ConfirmQuery = Type.Object({ ...LangQuery, reissued: Type.Optional(Type.Literal('1')) });
export const ConfirmBody = Type.Object({
  ...CsrfField,
  transactionPassword: CloneType(FormText(256), { default: '' }),
  mailToken: CloneType(FormText(32), { default: '' }),
}, { additionalProperties: false });
/** A form with nothing but its token (解約); 再発行 posts the confirmation form (ConfirmBody). */
export const TokenOnlyBody = Type.Object({ ...CsrfField }, { additionalProperties: false });

/** ビジネスID管理 申込 (the form is on the お客さま情報 screens). */
export const BusinessIdApplyBody = Type.Object({
  ...CsrfField,
  certificate: Type.Optional(Type.Union([Type.Literal('yes'), Type.Literal('no')])),
  agree: Checkbox,
}, { additionalProperties: false });

/** ログイン方法の変更 (お客さま情報 → セキュリティ): ユーザーID / 電子証明書. */
export const LoginMethodBody = Type.Object({
  ...CsrfField,
  loginMethod: Type.Optional(Type.Union([Type.Literal('password'), Type.Literal('certificate')])),
}, { additionalProperties: false });

/** The master's own 電子証明書発行（再発行） in お客さま情報. */
export const MasterCertificateBody = Type.Object({
  ...CsrfField,
  certificate: Checkbox,
  retrievalPassword: RetrievalPassword,
}, { additionalProperties: false });
