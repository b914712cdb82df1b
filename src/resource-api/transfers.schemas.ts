import { Type } from '@sinclair/typebox';

/**
 * 振込 (DESIGN §17, GMO Aozora's TransferRequest / TransferStatusResponse / TransferError, swagger
 * v1.1.12). Conventions of §8: numbers and codes as strings, dates YYYY-MM-DD, datetimes
 * YYYY-MM-DDTHH:MM:SS+09:00, empty values omitted, empty lists as [].
 *
 * Requests are checked here by type and size only: the domain (src/transfers) checks every value
 * against GMO's rules so a refusal names the field and the item (`errorDetails`,
 * `transferErrorDetails`), which a schema error cannot. Numbers sent as JSON numbers are accepted
 * as their strings (the app's Ajv coerces), as some GMO clients send them so.
 */
const S = (maxLength: number, description: string, example?: string) =>
  Type.String({ maxLength, description, ...(example === undefined ? {} : { examples: [example] }) });
const Digits = (description: string, example: string) => Type.String({ pattern: '^\\d+$', description, examples: [example] });
const DateString = (description: string, example = '2026-11-20') => Type.String({ format: 'date', description, examples: [example] });
const DATETIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\+09:00$';
const DateTime = (description: string) => Type.String({ pattern: DATETIME, description, examples: ['2026-11-21T12:00:00+09:00'] });
const TIME_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\+09:00$';
const BaseDate = DateString('基準日');
const BaseTime = Type.String({ pattern: TIME_PATTERN, description: '基準時刻 (JST)', examples: ['12:00:00+09:00'] });
const AccountIdOut = Type.String({ pattern: '^\\d{12}$', description: '口座ID (引落口座): 支店番号3桁 + 科目コード2桁 + 口座番号7桁', examples: ['101011000088'] });
const ApplyNo = Type.String({ pattern: '^\\d{16}$', description: '受付番号（振込申請番号）16桁。以後の照会・取消の単位', examples: ['2026112012345678'] });

/** The most items one request may carry (GMO: 1 = 通常振込, 2–99 = 一括振込). */
const MAX_TRANSFER_ITEMS = 99;

export const TransferItemSchema = Type.Object({
  itemId: S(2, '明細番号 1〜99 (1から連番)', '1'),
  transferAmount: S(12, '振込金額 (1以上の整数、口座の振込限度額以下)', '150000'),
  ediInfo: Type.Optional(S(20, 'EDI情報 (半角)')),
  beneficiaryBankCode: S(4, '被仕向金融機関番号 (4桁)。当行は BANK_CODE (既定 0310)', '0310'),
  beneficiaryBankName: Type.Optional(S(30, '被仕向金融機関名カナ (参考。処理には使いません)')),
  beneficiaryBranchCode: S(3, '被仕向支店番号 (3桁)', '101'),
  beneficiaryBranchName: Type.Optional(S(15, '被仕向支店名カナ (参考。処理には使いません)')),
  accountTypeCode: S(1, '預金種目: 1 普通 / 2 当座 / 4 貯蓄 / 9 その他', '1'),
  accountNumber: S(7, '口座番号 (7桁、前ゼロ埋め)', '1000658'),
  beneficiaryName: S(48, '受取人名 (半角カナ)', 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ'),
}, { $id: 'TransferItem' });

export const TransferRequestSchema = Type.Object({
  accountId: S(29, '口座ID (引落口座、12桁)', '101011000088'),
  remitterName: Type.Optional(S(48, '振込依頼人名 (半角カナ)。省略すると口座名義カナ')),
  transferDesignatedDate: S(10, '振込指定日 (YYYY-MM-DD)。当日なら承認と同時に実行、以後の日付は予約', '2026-11-20'),
  transferDateHolidayCode: Type.Optional(S(1, '振込指定休日コード: 1 翌営業日 (既定) / 2 前営業日 / 3 エラー')),
  totalCount: Type.Optional(S(2, '合計件数 (1〜99)。1件なら省略可')),
  totalAmount: Type.Optional(S(12, '合計金額。1件なら省略可')),
  applyComment: Type.Optional(S(20, '申請者コメント (20文字以内)。申請・承認一覧に表示')),
  transfers: Type.Array(Type.Ref('TransferItem'), { minItems: 1, maxItems: MAX_TRANSFER_ITEMS, description: '振込明細 (1件 = 通常振込、2件以上 = 一括振込)' }),
}, {
  examples: [{
    accountId: '101011000088', transferDesignatedDate: '2026-11-20',
    transfers: [{ itemId: '1', transferAmount: '150000', beneficiaryBankCode: '0310', beneficiaryBranchCode: '101', accountTypeCode: '1', accountNumber: '1000658', beneficiaryName: 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ' }],
  }],
});

export const IdempotencyHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1, maxLength: 255, examples: ['5f0c7d2e-8a41-4b7e-9c3a-2d6f1e0b9a77'],
    description: '冪等キー (任意、印字可能ASCII 1〜255文字)。同じキーと同じ内容の再送には最初と同じ結果を返し、同じキーで内容が違えば 409 idempotency_conflict。タイムアウト後の再送に使ってください',
  })),
});

export const TransferFeeResponseSchema = Type.Object({
  accountId: AccountIdOut,
  baseDate: BaseDate,
  baseTime: BaseTime,
  totalFee: Digits('振込手数料合計', '145'),
  transferFeeDetails: Type.Array(Type.Object({
    itemId: Digits('明細番号', '1'),
    transferFee: Digits('振込手数料', '145'),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

const ResultCode = (codes: readonly string[], description: string) =>
  Type.Union(codes.map((c) => Type.Literal(c)), { description });

export const TransferRequestResponseSchema = Type.Object({
  accountId: AccountIdOut,
  resultCode: ResultCode(['1', '2'], '結果コード: 1 完了 / 2 未完了 (インターネットバンキングの申請・承認一覧での承認待ち)'),
  applyNo: ApplyNo,
  applyEndDatetime: Type.Optional(DateTime('振込依頼完了日時 (結果コード1のとき)、または承認期限 (結果コード2のとき。期限を過ぎると期限切れ)')),
}, { additionalProperties: false });

export const TransferRequestResultQuerySchema = Type.Object({
  accountId: S(29, '口座ID (12桁)', '101011000088'),
  applyNo: S(16, '受付番号（振込申請番号）16桁', '2026112012345678'),
});

export const TransferRequestResultResponseSchema = Type.Object({
  accountId: AccountIdOut,
  resultCode: ResultCode(['1', '2', '8'], '結果コード: 1 完了 / 2 未完了 / 8 期限切 (承認されないまま承認期限を過ぎた)'),
  applyNo: ApplyNo,
  applyEndDatetime: Type.Optional(DateTime('振込依頼完了日時 (結果コード1のとき)、または承認期限 (結果コード2のとき)')),
}, { additionalProperties: false });

const STATUS_CODES = '2 申請中, 3 差戻, 4 取下げ, 5 期限切れ, 8 承認取消/予約取消, 11 予約中, 12 手続中, 13 リトライ中, 20 手続済, 22 資金返却, 24 組戻手続中, 25 組戻済, 26 組戻不成立, 40 手続不成立';

export const TransferStatusQuerySchema = Type.Object({
  accountId: S(29, '口座ID (12桁)', '101011000088'),
  queryKeyClass: S(1, '照会対象キー区分: 1 振込申請照会対象指定 (applyNo 必須) / 2 振込一括照会対象指定 (dateFrom, dateTo, nextItemKey ほか)', '1'),
  applyNo: Type.Optional(S(16, '受付番号（振込申請番号）。queryKeyClass=1 のとき必須、2 のときは指定不可')),
  dateFrom: Type.Optional(S(10, '対象期間From (YYYY-MM-DD)。queryKeyClass=2 のときのみ')),
  dateTo: Type.Optional(S(10, '対象期間To (YYYY-MM-DD)。queryKeyClass=2 のときのみ')),
  nextItemKey: Type.Optional(S(24, '次明細キー: 前のページの nextItemKey。queryKeyClass=2 のときのみ')),
  requestTransferStatus: Type.Optional(Type.Array(S(3, '照会対象ステータス'), { maxItems: 20, description: `照会対象ステータス (複数指定はOR): ${STATUS_CODES}。queryKeyClass=2 のときのみ` })),
  requestTransferClass: Type.Optional(S(1, '振込照会対象取得区分: 1 ALL / 2 振込申請のみ / 3 振込受付情報のみ。queryKeyClass=2 かつビジネスID管理利用中のときのみ')),
  requestTransferTerm: Type.Optional(S(1, '振込照会対象期間区分: 1 振込申請受付日 (既定) / 2 振込指定日。queryKeyClass=2 のときのみ')),
});

const Opt = <T extends Parameters<typeof Type.Optional>[0]>(t: T) => Type.Optional(t);

const TransferApplyDetailSchema = Type.Object({
  applyDatetime: Opt(DateTime('振込申請受付日時')),
  applyStatus: Opt(S(1, '振込申請ステータス: 0 未申請, 1 申請中, 2 差戻, 3 取下げ, 4 期限切れ, 5 承認済, 6 承認取消, 7 自動承認')),
  applyUser: Opt(Type.String({ description: '申請者 (ユーザー名)' })),
  applyComment: Opt(Type.String({ description: '申請者コメント' })),
  approvalUser: Opt(Type.String({ description: '決裁者 (承認・差戻をしたユーザー名)' })),
  approvalComment: Opt(Type.String({ description: '決裁者コメント' })),
}, { additionalProperties: false });

const TransferDetailResponseSchema = Type.Object({
  beneficiaryBankNameKanji: Opt(Type.String({ description: '被仕向金融機関名漢字' })),
  beneficiaryBranchNameKanji: Opt(Type.String({ description: '被仕向支店名漢字' })),
  usedPoint: Opt(Type.String()),
  isFeeFreeUsed: Opt(Type.Boolean({ description: '振込無料回数利用有無' })),
  transferFee: Opt(Digits('手数料 (明細ごと)', '145')),
}, { additionalProperties: false });

const TransferInfoSchema = Type.Object({
  transferAmount: Opt(Digits('振込金額', '150000')),
  ediInfo: Opt(Type.String({ description: 'EDI情報' })),
  beneficiaryBankCode: Opt(Type.String({ description: '被仕向金融機関番号' })),
  beneficiaryBankName: Opt(Type.String({ description: '被仕向金融機関名カナ' })),
  beneficiaryBranchCode: Opt(Type.String({ description: '被仕向支店番号' })),
  beneficiaryBranchName: Opt(Type.String({ description: '被仕向支店名カナ' })),
  accountTypeCode: Opt(Type.String({ description: '預金種目: 1 普通 / 2 当座 / 4 貯蓄 / 9 その他' })),
  accountNumber: Opt(Type.String({ description: '口座番号' })),
  beneficiaryName: Opt(Type.String({ description: '受取人名' })),
  transferDetailResponses: Opt(Type.Array(TransferDetailResponseSchema)),
}, { additionalProperties: false });

export const TransferDetailSchema = Type.Object({
  transferStatus: S(3, `振込ステータス: ${STATUS_CODES}`, '2'),
  transferStatusName: Opt(Type.String({ description: '振込ステータス名' })),
  transferTypeName: Opt(Type.String({ description: '種類 (振込振替)' })),
  isFeeFreeUse: Type.Boolean({ description: '振込無料回数利用可否' }),
  isFeePointUse: Opt(Type.Boolean({ description: 'ポイント利用可否' })),
  pointName: Opt(Type.String()),
  feeLaterPaymentFlg: Opt(Type.Boolean()),
  transferDetailFee: Opt(Digits('明細手数料 (完了前は予定)', '145')),
  totalDebitAmount: Opt(Digits('合計出金金額 (振込金額 + 手数料)', '150145')),
  transferApplies: Opt(Type.Array(Type.Object({
    applyNo: Opt(ApplyNo),
    transferApplyDetails: Opt(Type.Array(TransferApplyDetailSchema)),
  }, { additionalProperties: false }))),
  transferAccepts: Opt(Type.Array(Type.Object({
    acceptNo: Opt(Type.String({ description: '受付番号（振込受付番号）: 予約中・手続済になると採番' })),
    acceptDatetime: Opt(DateTime('振込受付日時')),
  }, { additionalProperties: false }))),
  transferResponses: Opt(Type.Array(Type.Object({
    accountId: Opt(AccountIdOut),
    remitterName: Opt(Type.String({ description: '振込依頼人名' })),
    transferDesignatedDate: Opt(DateString('振込指定日')),
    transferInfos: Opt(Type.Array(TransferInfoSchema)),
  }, { additionalProperties: false }))),
}, { $id: 'TransferDetail', additionalProperties: false });

export const TransferStatusResponseSchema = Type.Object({
  acceptanceKeyClass: S(1, '照会対象キー区分 (リクエストと同じ)', '1'),
  dateFrom: Opt(DateString('対象期間From (queryKeyClass=2、指定したとき)')),
  dateTo: Opt(DateString('対象期間To (queryKeyClass=2、指定したとき)')),
  baseDate: BaseDate,
  baseTime: BaseTime,
  count: Digits('明細取得件数', '1'),
  hasNext: Opt(Type.Boolean({ description: '次明細フラグ (queryKeyClass=2)。transferQueryBulkResponses[0].hasNext と同じ' })),
  nextItemKey: Opt(Type.String({ pattern: '^\\d+$', description: '次明細キー: hasNext のときだけ。同じリクエストにこの値を加えると次のページ', examples: ['2'] })),
  transferQueryBulkResponses: Opt(Type.Array(Type.Object({
    dateFrom: Opt(DateString('対象期間From')),
    dateTo: Opt(DateString('対象期間To')),
    requestNextItemKey: Opt(Type.String({ description: 'リクエスト時次明細キー' })),
    requestTransferStatuses: Opt(Type.Array(Type.Object({ requestTransferStatus: Opt(Type.String()) }, { additionalProperties: false }))),
    requestTransferClass: Opt(Type.String()),
    requestTransferTerm: Opt(Type.String()),
    hasNext: Opt(Type.Boolean({ description: '次明細フラグ' })),
    nextItemKey: Opt(Type.String({ pattern: '^\\d+$', description: '次明細キー: hasNext のときだけ。同じリクエストにこの値を加えると次のページ', examples: ['2'] })),
  }, { additionalProperties: false }))),
  transferDetails: Opt(Type.Array(Type.Ref('TransferDetail'))),
}, { additionalProperties: false });

export const TransferCancelRequestSchema = Type.Object({
  accountId: S(29, '口座ID (12桁)', '101011000088'),
  cancelTargetKeyClass: S(1, '取消対象キー区分: 1 振込申請取消 (申請中の申請を取り下げます。取消後の振込ステータスは 4 取下げ)。2〜4 (受付取消・総合振込) は扱いません', '1'),
  applyNo: S(16, '受付番号（振込申請番号）', '2026112012345678'),
});

export const TransferCancelResponseSchema = Type.Object({
  accountId: AccountIdOut,
  cancelTargetKeyClass: Opt(S(1, '取消対象キー区分 (リクエストと同じ)')),
  resultCode: Opt(ResultCode(['1', '2'], '結果コード: 1 完了 / 2 未完了')),
  applyNo: ApplyNo,
  applyEndDatetime: Opt(DateTime('取消の完了日時')),
}, { additionalProperties: false });

/** GMO's ErrorDetail: one reason a transfer was refused. */
const ErrorDetailSchema = Type.Object({
  errorDetailsCode: Type.String({ description: 'エラー詳細コード' }),
  errorDetailsMessage: Type.String({ description: 'エラー詳細内容 (項目名と理由)' }),
}, { additionalProperties: false });

/**
 * GMO's TransferError: the error body of the 振込 endpoints. Every error of them has this shape;
 * `errorDetails` (request-level reasons) and `transferErrorDetails` (per item) come with a refused
 * transfer (400). Under /api/v1 the request id comes too, as in every §8 error body.
 */
export const TransferErrorSchema = Type.Object({
  errorCode: Type.String({ description: 'エラーコード (/api/v1 では §8 のコード、GMO互換パスでは1〜10文字の英数字)' }),
  errorMessage: Type.String({ description: 'エラーメッセージ (日本語、または Accept-Language により英語)' }),
  requestId: Opt(Type.String({ description: 'リクエストID (/api/v1 のみ。GMO互換パスでは X-Request-Id ヘッダー)' })),
  errorDetails: Opt(Type.Array(ErrorDetailSchema, { description: 'エラー詳細情報 (依頼全体について)' })),
  transferErrorDetails: Opt(Type.Array(Type.Object({
    itemId: Type.String({ description: 'エラーとなった明細番号' }),
    errorDetails: Type.Array(ErrorDetailSchema),
  }, { additionalProperties: false }), { description: '振込明細エラー情報 (明細ごと)' })),
}, { $id: 'TransferError', additionalProperties: false });
