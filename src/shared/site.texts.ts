import { defineTexts, translate } from './i18n.ts';

/** Texts of the site-wide layout and error page (views/layout.eta, views/error.eta), every surface's frame. */
const SITE_TEXTS = defineTexts({
  skip: { ja: '本文へ移動', en: 'Skip to content' },
  bank: { ja: 'れんけい銀行', en: 'Renkei Bank' },
  language: { ja: '言語', en: 'Language' },
  footer: { ja: 'オープンAPI連携基盤', en: 'open-banking platform' },
  errorTitle: { ja: 'エラー', en: 'Error' },
  errorHeading: { ja: 'エラーが発生しました', en: 'Something went wrong' },
  errorCode: { ja: 'エラーコード', en: 'Error code' },
  requestId: { ja: '受付番号', en: 'Request ID' },
  backToTop: { ja: 'トップページへ戻る', en: 'Back to the top page' },
});

/** Both languages, translated once: templates pick `it.site[it.lang]`. */
export const SITE = { ja: translate(SITE_TEXTS, 'ja'), en: translate(SITE_TEXTS, 'en') };
