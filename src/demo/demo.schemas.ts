import { Type } from '@sinclair/typebox';

/** The demo's forms carry only their CSRF token (a repeated or missing one fails the check). */
/** A page that reads no parameters (any query string is ignored). */
export const NoQuery = Type.Object({});

export const FormBody = Type.Object({ _csrf: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' }) });

/**
 * The authorization response (RFC 6749 §4.1.2, §4.1.2.1, RFC 9207): openid-client checks what it
 * means; the schema only refuses what no response of the bank looks like (repeated or oversized values).
 */
const Param = Type.Optional(Type.String({ maxLength: 2048, pattern: '^[^\\u0000]*$' }));
export const CallbackQuery = Type.Object({
  code: Param, state: Param, iss: Param, error: Param, error_description: Param, error_uri: Param,
});

export const AccountParams = Type.Object({
  accountId: Type.String({ pattern: '^\\d{12}$', description: '口座ID: 支店番号3桁 + 科目コード2桁 + 口座番号7桁' }),
});

export const StatementQuery = Type.Object({
  dateFrom: Type.Optional(Type.String({ format: 'date' })),
  dateTo: Type.Optional(Type.String({ format: 'date' })),
  nextItemKey: Type.Optional(Type.String({ pattern: '^\\d{1,18}$' })),
});

/**
 * 振込を依頼する: the partner checks only what it must to build the request; the bank checks the rest
 * and names what it refuses (GMO's TransferError details), which the page shows.
 */
const Field = (maxLength: number) => Type.String({ maxLength, pattern: '^[^\\u0000]*$' });
export const TransferForm = Type.Object({
  ...FormBody.properties,
  idempotencyKey: Type.String({ format: 'uuid' }),
  accountId: Type.String({ pattern: '^\\d{12}$' }),
  beneficiaryBankCode: Field(4),
  beneficiaryBranchCode: Field(3),
  accountTypeCode: Field(1),
  accountNumber: Field(7),
  beneficiaryName: Field(48),
  transferAmount: Type.String({ pattern: '^\\d{1,12}$' }),
  transferDesignatedDate: Type.String({ format: 'date' }),
  applyComment: Type.Optional(Field(20)),
});

export const TransferStatusQuery = Type.Object({
  accountId: Type.String({ pattern: '^\\d{12}$' }),
  applyNo: Type.String({ pattern: '^\\d{16}$' }),
});
