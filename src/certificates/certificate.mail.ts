import type { MailMessage } from '../mail/mailer.ts';
import { defineTexts, translate, type Lang } from '../shared/i18n.ts';
import { jstParts } from '../shared/jst.ts';

function jstDateTime(d: Date): string {
  const p = jstParts(d);
  return `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
}

export interface OrderMail {
  to: string;
  userName: string;
  orderId: string;
  /** コモンネーム: the login ID, which the certificate's CN carries. */
  commonName: string;
  retrievalUrl: string;
  expiresAt: Date;
}

export interface RenewalMail {
  to: string;
  userName: string;
  commonName: string;
  notAfter: Date;
  /** /certificates/renew on the mutual-TLS origin: the way with the current certificate. */
  renewWithCertificateUrl: string;
  /** The renewal order's retrieval URL: the way with the previous 証明書取得用パスワード; absent when there is none. */
  renewWithPasswordUrl: string | undefined;
}

/** 電子証明書取得のお願い (DESIGN §14, seed 003 §5): what the user needs to retrieve an ordered certificate. */
const ORDER_MAIL = defineTexts({
  subject: { ja: '【れんけい銀行】電子証明書取得のお願い', en: '[renkei] Please retrieve your client certificate' },
  text: (m: OrderMail) => ({
    ja: `${m.userName} 様\n\n電子証明書の発行を受け付けました。\n次のURLから電子証明書を取得してください。\n\n`
      + `オーダーID: ${m.orderId}\nコモンネーム: ${m.commonName}\n取得期限: ${jstDateTime(m.expiresAt)}（日本時間）\n\n${m.retrievalUrl}\n\n`
      + `取得には、管理者から伝えられた証明書取得用パスワードが必要です。\n`
      + `取得期限を過ぎたご依頼、または証明書取得用パスワードを5回続けて誤ったご依頼は取り消されます。その場合は管理者に再発行を依頼してください。\n\n`
      + `お心当たりのない場合は、カスタマーセンターへご連絡ください。\n`,
    en: `Dear ${m.userName},\n\nA client certificate has been ordered for you. Retrieve it at the URL below.\n\n`
      + `Order ID: ${m.orderId}\nCommon name: ${m.commonName}\nRetrieve by: ${jstDateTime(m.expiresAt)} (Japan time)\n\n${m.retrievalUrl}\n\n`
      + `You need the certificate retrieval password your administrator gave you.\n`
      + `Orders not retrieved in time, or after 5 wrong passwords, are cancelled; ask your administrator to order again.\n\n`
      + `If this is not familiar to you, please contact our customer centre.\n`,
  }),
});

/** 電子証明書更新のご案内 (DESIGN §14 Renewal): CERT_RENEWAL_NOTICE_DAYS before the certificate ends. */
const RENEWAL_MAIL = defineTexts({
  subject: { ja: '【れんけい銀行】電子証明書更新のご案内', en: '[renkei] Renew your client certificate' },
  text: (m: RenewalMail) => ({
    ja: `${m.userName} 様\n\nご利用中の電子証明書（コモンネーム: ${m.commonName}）の有効期限は ${jstDateTime(m.notAfter)}（日本時間）です。\n`
      + `有効期限までに、次のいずれかの方法で更新してください。\n\n`
      + `■ 現在の電子証明書をお使いのパソコンから更新する\n${m.renewWithCertificateUrl}\n\n`
      + (m.renewWithPasswordUrl
        ? `■ 前回の証明書取得用パスワードで更新する\n${m.renewWithPasswordUrl}\n\n`
        : '')
      + `更新後の電子証明書で初めてログインした時点で、現在の電子証明書はご利用いただけなくなります。\n\n`
      + `お心当たりのない場合は、カスタマーセンターへご連絡ください。\n`,
    en: `Dear ${m.userName},\n\nYour client certificate (common name ${m.commonName}) ends on ${jstDateTime(m.notAfter)} (Japan time).\n`
      + `Renew it before then in one of these ways.\n\n`
      + `- From the computer that holds the current certificate:\n${m.renewWithCertificateUrl}\n\n`
      + (m.renewWithPasswordUrl ? `- With your previous certificate retrieval password:\n${m.renewWithPasswordUrl}\n\n` : '')
      + `Your current certificate stops working when you first log in with the new one.\n\n`
      + `If this is not familiar to you, please contact our customer centre.\n`,
  }),
});

export function certificateOrderMail(m: OrderMail, lang: Lang = 'ja'): MailMessage {
  const t = translate(ORDER_MAIL, lang);
  return { to: m.to, subject: t.subject, text: t.text(m) };
}

export function certificateRenewalMail(m: RenewalMail, lang: Lang = 'ja'): MailMessage {
  const t = translate(RENEWAL_MAIL, lang);
  return { to: m.to, subject: t.subject, text: t.text(m) };
}
