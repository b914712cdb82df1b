import { defineTexts } from '../shared/i18n.ts';

/**
 * The words of 申請・承認一覧 (DESIGN §17): the list, the 申請内容確認 screen with 承認 / 差戻 / 取下げ and the
 * result screen. The Japanese labels are the contract's and GMO Aozora's (transferStatus names).
 */
export const APPROVALS_TEXTS = defineTexts({
  title: { ja: '申請・承認一覧', en: 'Applications and approvals' },
  lead: {
    ja: 'API連携サービスから依頼された振込の申請です。承認すると振込指定日に振込を実行します（当日指定の場合は直ちに実行します）。',
    en: 'Transfers that connected apps asked for. Once approved, a transfer is made on its designated date (at once when that is today).',
  },
  leadApprover: {
    ja: '承認権限のあるユーザーとして、振込・振替の権限がある口座の申請をすべて表示しています。',
    en: 'As an approver you see every application on the accounts you may transfer from.',
  },
  leadOwn: { ja: 'ご自身の申請を表示しています。', en: 'These are your own applications.' },
  leadAll: { ja: '取引責任者として、すべての口座の申請を表示しています。', en: 'As the master user you see the applications on every account.' },
  all: { ja: 'すべて', en: 'All' },
  none: { ja: '該当する申請はありません。', en: 'No applications.' },
  applyNo: { ja: '申請番号', en: 'Application no.' },
  appliedAt: { ja: '申請日時', en: 'Applied at' },
  state: { ja: '状態', en: 'Status' },
  requester: { ja: '申請者', en: 'Requested by' },
  account: { ja: '支払口座', en: 'From account' },
  beneficiary: { ja: '振込先', en: 'Beneficiary' },
  beneficiaryBank: { ja: '金融機関', en: 'Bank' },
  beneficiaryBranch: { ja: '支店', en: 'Branch' },
  beneficiaryType: { ja: '科目', en: 'Type' },
  beneficiaryNumber: { ja: '口座番号', en: 'Account number' },
  beneficiaryName: { ja: '受取人名', en: 'Payee name' },
  // GMO's accountTypeCode of a beneficiary: 1 普通, 2 当座, 4 貯蓄, 9 その他.
  beneficiaryTypes: {
    '1': { ja: '普通', en: 'Ordinary' },
    '2': { ja: '当座', en: 'Current' },
    '4': { ja: '貯蓄', en: 'Savings' },
    '9': { ja: 'その他', en: 'Other' },
  },
  bankCode: (code: string) => ({ ja: `金融機関コード ${code}`, en: `Bank code ${code}` }),
  branchCode: (code: string) => ({ ja: `支店コード ${code}`, en: `Branch code ${code}` }),
  moreItems: (n: number) => ({ ja: `ほか${n}件`, en: `and ${n} more` }),
  amount: { ja: '振込金額', en: 'Amount' },
  totalAmount: { ja: '振込金額合計', en: 'Total amount' },
  fee: { ja: '振込手数料', en: 'Fee' },
  itemCount: { ja: '件数', en: 'Items' },
  partner: { ja: '連携先サービス名', en: 'Service' },
  company: { ja: '提供会社名', en: 'Provided by' },
  designatedDate: { ja: '振込指定日', en: 'Transfer date' },
  applyEnd: { ja: '承認期限', en: 'Approve by' },
  ediInfo: { ja: 'EDI情報', en: 'EDI information' },
  itemId: { ja: '明細番号', en: 'Item' },
  decidedBy: { ja: '承認者・処理者', en: 'Decided by' },
  decidedAt: { ja: '処理日時', en: 'Decided at' },
  executedAt: { ja: '振込実行日時', en: 'Executed at' },
  comment: { ja: 'コメント', en: 'Comment' },
  commentHint: { ja: '差戻・取下げの理由など（100文字以内）', en: 'A reason for returning or withdrawing (up to 100 characters)' },
  optional: { ja: '任意', en: 'Optional' },
  detail: { ja: '詳細', en: 'Details' },
  cannotApprove: { ja: '承認できません', en: 'Cannot approve' },
  older: { ja: '次へ', en: 'Next' },
  newer: { ja: '前へ', en: 'Previous' },
  // 申請内容確認
  detailTitle: { ja: '申請内容確認', en: 'Application' },
  detailLead: {
    ja: '申請内容をご確認のうえ、取引パスワードを入力して「承認」「差戻」「取下げ」のいずれかを押してください。',
    en: 'Check the application, enter your transaction password and press Approve, Return or Withdraw.',
  },
  notPending: { ja: 'この申請は処理済みのため、承認・差戻・取下げはできません。', en: 'This application has been decided; it can no longer be approved, returned or withdrawn.' },
  items: { ja: '振込明細', en: 'Transfers' },
  transactionPassword: { ja: '取引パスワード', en: 'Transaction password' },
  approve: { ja: '承認', en: 'Approve' },
  return: { ja: '差戻', en: 'Return' },
  withdraw: { ja: '取下げ', en: 'Withdraw' },
  back: { ja: '一覧へ戻る', en: 'Back to the list' },
  // 結果
  result: {
    approve: { ja: '承認完了', en: 'Approved' },
    return: { ja: '差戻完了', en: 'Returned' },
    withdraw: { ja: '取下げ完了', en: 'Withdrawn' },
  },
  resultText: {
    executed: { ja: '申請を承認し、振込を実行しました。', en: 'The application was approved and the transfer was made.' },
    scheduled: { ja: '申請を承認しました。振込指定日に振込を実行します（予約中）。', en: 'The application was approved. The transfer will be made on its designated date (scheduled).' },
    failed: { ja: '申請を承認しましたが、支払可能残高が不足しているため振込は成立しませんでした。', en: 'The application was approved, but the available balance was insufficient and the transfer failed.' },
    returned: { ja: '申請を差戻しました。申請者にメールでお知らせしました。', en: 'The application was returned. The requester was told by mail.' },
    withdrawn: { ja: '申請を取下げました。', en: 'The application was withdrawn.' },
  },
  toList: { ja: '申請・承認一覧へ', en: 'Back to applications' },
});
