import type { MailMessage } from '../mail/mailer.ts';
import { defineTexts } from '../shared/i18n.ts';

/**
 * The mails of the transfer workflow (DESIGN §17: the requester and the approvers are notified). They are
 * written to the outbox in the transaction of the change they announce, so a decision and its notice
 * commit together. They name no secret and no full account number of the beneficiary.
 */

export interface MailFacts {
  applyNo: string;
  requesterName: string;
  partnerName: string;
  /** 法人営業部 普通 1000088 */
  accountLabel: string;
  totalAmount: string;
  itemCount: number;
  designatedDate: string;
}

const yen = (amount: string) => `${BigInt(amount).toLocaleString('ja-JP')}円`;

const summary = (f: MailFacts) =>
  `受付番号: ${f.applyNo}\n申請者: ${f.requesterName}\n連携先サービス: ${f.partnerName}\n引落口座: ${f.accountLabel}\n` +
  `振込金額合計: ${yen(f.totalAmount)}（${f.itemCount}件）\n振込指定日: ${f.designatedDate}\n`;

const FOOTER = '\nお心当たりのない場合は、管理者またはカスタマーセンターへご連絡ください。\n';

const TRANSFER_MAIL_TEXTS = defineTexts({
  awaiting: { ja: '【れんけい銀行】承認待ちの振込申請があります', en: '[renkei] A transfer awaits your approval' },
  approved: { ja: '【れんけい銀行】振込申請が承認されました', en: '[renkei] Your transfer was approved' },
  returned: { ja: '【れんけい銀行】振込申請が差戻されました', en: '[renkei] Your transfer was returned' },
  expired: { ja: '【れんけい銀行】振込申請が期限切れになりました', en: '[renkei] Your transfer request expired' },
  executed: { ja: '【れんけい銀行】振込が完了しました', en: '[renkei] Your transfer was completed' },
  failed: { ja: '【れんけい銀行】振込が不成立となりました', en: '[renkei] Your transfer could not be completed' },
});

/** To each user who may approve: a partner requested a transfer that waits in 申請・承認一覧. */
export function awaitingApprovalMail(to: string, f: MailFacts, applyEnd: string): MailMessage {
  return {
    to,
    subject: TRANSFER_MAIL_TEXTS.awaiting.ja,
    text: `API連携先から振込の依頼がありました。インターネットバンキングの「申請・承認一覧」で内容をご確認のうえ、承認または差戻をしてください。\n\n${summary(f)}承認期限: ${applyEnd}\n${FOOTER}`,
  };
}

export type RequesterNotice = 'approved' | 'returned' | 'expired' | 'executed' | 'failed';

const NOTICE_LEAD: Record<RequesterNotice, string> = {
  approved: '振込申請が承認されました。振込指定日に振込を実行します。',
  returned: '振込申請が差戻されました。必要であればAPI連携先から改めて依頼してください。',
  expired: '振込申請は承認期限までに承認されなかったため、期限切れになりました。',
  executed: '振込が完了しました。',
  failed: '振込指定日に振込を実行できませんでした（支払可能残高の不足など）。振込は行われていません。',
};

/** To the requester: what became of their application. */
export function requesterMail(to: string, notice: RequesterNotice, f: MailFacts, decidedBy?: string): MailMessage {
  const by = decidedBy ? `処理者: ${decidedBy}\n` : '';
  return { to, subject: TRANSFER_MAIL_TEXTS[notice].ja, text: `${NOTICE_LEAD[notice]}\n\n${summary(f)}${by}${FOOTER}` };
}
