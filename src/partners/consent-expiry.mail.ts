import { defineTexts, translate, type Lang } from '../shared/i18n.ts';
import { jstParts } from '../shared/jst.ts';
import type { MailMessage } from '../mail/mailer.ts';

/** What the reminder names: the link, its end, and where the holder can see it. */
export interface ExpiringLink {
  to: string;
  userName: string;
  /** 連携先サービス名: the client's own client_name (DESIGN §15). */
  serviceName: string;
  /** 提供会社名: the partner's legal name. */
  companyName: string;
  expiresAt: Date;
  /** API連携サービスの利用状況 (/ib/links) on the bank's public origin. */
  linksUrl: string;
}

function jstDateTime(d: Date): string {
  const p = jstParts(d);
  return `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
}

/** API連携の有効期限のお知らせ (DESIGN §15): mailed once, CONSENT_REMINDER_DAYS before the 許可期間 ends. */
const CONSENT_EXPIRY_MAIL = defineTexts({
  subject: { ja: '【れんけい銀行】API連携の有効期限のお知らせ', en: '[renkei] Your app link is about to expire' },
  text: (l: ExpiringLink) => ({
    ja: `${l.userName} 様\n\nいつもご利用いただきありがとうございます。\n`
      + `次のAPI連携の有効期限が近づいています。\n\n`
      + `連携先サービス名: ${l.serviceName}\n提供会社名: ${l.companyName}\n有効期限: ${jstDateTime(l.expiresAt)}（日本時間）\n\n`
      + `有効期限を過ぎると、連携先サービスから口座の情報を参照できなくなります。\n`
      + `引き続きご利用になる場合は、連携先サービスのアプリから改めてAPI連携のお手続き（同意）をしてください。\n`
      + `新しく同意された日から、改めて有効期間が始まります。\n\n`
      + `連携の状況はインターネットバンキングの「API連携サービスの利用状況」でご確認いただけます。\n${l.linksUrl}\n\n`
      + `お心当たりのない場合は、カスタマーセンターへご連絡ください。\n`,
    en: `Dear ${l.userName},\n\nThe following app link is about to expire.\n\n`
      + `App: ${l.serviceName}\nCompany: ${l.companyName}\nValid until: ${jstDateTime(l.expiresAt)} (Japan time)\n\n`
      + `After that, the app can no longer read your accounts. To keep using it, link it again from the app:\n`
      + `a new consent starts a new period.\n\n`
      + `See your links under "API連携サービスの利用状況" in internet banking:\n${l.linksUrl}\n\n`
      + `If this is not familiar to you, please contact our customer centre.\n`,
  }),
});

/** The reminder as a mail, in the holder's language (Japanese, the language of record, by default). */
export function consentExpiryMail(link: ExpiringLink, lang: Lang = 'ja'): MailMessage {
  const t = translate(CONSENT_EXPIRY_MAIL, lang);
  return { to: link.to, subject: t.subject, text: t.text(link) };
}
