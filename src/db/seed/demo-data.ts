import type { AccountTypeCode, CustomerKind, LoginMethod, NewGroup, UserRole } from '../database.ts';
import type { StatementProfile } from './transactions.ts';

/**
 * The demo data of DESIGN §9. Every value the contract names (names, numbers, login IDs, passwords,
 * PINs, group names and rights) is written here exactly as there; the rest (kana, e-mails, dates,
 * limits) is plausible filler. seed.ts turns these constants into rows; the start-up banner prints
 * DEMO_CREDENTIALS and DEMO_ACCOUNT_PINS.
 */

export type DemoCustomerKey = 'corporate' | 'individual' | 'certificate';

export interface DemoCustomer {
  kind: CustomerKind;
  name: string;
  /** Full-width katakana, as on the bank's customer record. */
  nameKana: string;
  businessIdStatus: 'none' | 'active';
  certificateServiceStatus: 'none' | 'active';
  loginMethod: LoginMethod;
}

export const DEMO_CUSTOMERS: Readonly<Record<DemoCustomerKey, DemoCustomer>> = {
  corporate: {
    kind: 'corporate',
    name: '青空商事株式会社',
    nameKana: 'アオゾラショウジカブシキガイシャ',
    businessIdStatus: 'active',
    certificateServiceStatus: 'none',
    loginMethod: 'password',
  },
  individual: {
    kind: 'individual',
    name: '青空 花子',
    nameKana: 'アオゾラ ハナコ',
    businessIdStatus: 'none',
    certificateServiceStatus: 'none',
    loginMethod: 'password',
  },
  // The certificate customer (DESIGN §9 with §14): its users log in with a client certificate only.
  certificate: {
    kind: 'corporate',
    name: '株式会社みどり製作所',
    nameKana: 'カブシキガイシャミドリセイサクショ',
    businessIdStatus: 'active',
    certificateServiceStatus: 'active',
    loginMethod: 'certificate',
  },
};

export interface DemoAccount {
  customer: DemoCustomerKey;
  branchCode: string;
  branchName: string;
  accountTypeCode: AccountTypeCode;
  accountNumber: string;
  isPrimary: boolean;
  accountName: string;
  /**
   * Half-width katakana in the Zengin character set: no small kana (ショウ → ｼﾖｳ), 株式会社 as the
   * suffix (ｶ, as the bank's transfer file would carry it.
   */
  accountNameKana: string;
  currency: 'JPY' | 'USD';
  /** Only ordinary yen accounts have a 振込限度額; time deposits and FX accounts cannot transfer. */
  transferLimitAmount: string | null;
  openedOn: string;
  /** 照会用暗証番号 (stored only as an argon2id hash). */
  pin: string;
  statement: StatementProfile;
}

const CORPORATE_ACCOUNT = {
  customer: 'corporate',
  branchCode: '101',
  branchName: '法人営業部',
  accountName: '青空商事株式会社',
  accountNameKana: 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ',
} as const;

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    ...CORPORATE_ACCOUNT,
    accountTypeCode: '01',
    accountNumber: '1000088',
    isPrimary: true,
    currency: 'JPY',
    transferLimitAmount: '10000000',
    openedOn: '2015-04-01',
    pin: '7392',
    statement: 'corporate-main',
  },
  {
    ...CORPORATE_ACCOUNT,
    accountTypeCode: '01',
    accountNumber: '1000658',
    isPrimary: false,
    currency: 'JPY',
    transferLimitAmount: '5000000',
    openedOn: '2019-10-01',
    pin: '5816',
    statement: 'corporate-sub',
  },
  {
    ...CORPORATE_ACCOUNT,
    accountTypeCode: '11',
    accountNumber: '1000771',
    isPrimary: false,
    currency: 'JPY',
    transferLimitAmount: null,
    openedOn: '2024-04-01',
    pin: '6043',
    statement: 'time-deposit',
  },
  {
    ...CORPORATE_ACCOUNT,
    accountTypeCode: '51',
    accountNumber: '1000995',
    isPrimary: false,
    currency: 'USD',
    transferLimitAmount: null,
    openedOn: '2022-07-01',
    pin: '3178',
    statement: 'fx-usd',
  },
  {
    customer: 'individual',
    branchCode: '100',
    branchName: '本店営業部',
    accountTypeCode: '01',
    accountNumber: '2000123',
    isPrimary: true,
    accountName: '青空 花子',
    accountNameKana: 'ｱｵｿﾞﾗ ﾊﾅｺ',
    currency: 'JPY',
    transferLimitAmount: '1000000',
    openedOn: '2018-06-15',
    pin: '2580',
    statement: 'individual',
  },
  {
    customer: 'certificate',
    branchCode: '101',
    branchName: '法人営業部',
    accountTypeCode: '01',
    accountNumber: '3000111',
    isPrimary: true,
    accountName: '株式会社みどり製作所',
    accountNameKana: 'ｶ)ﾐﾄﾞﾘｾｲｻｸｼﾖ',
    currency: 'JPY',
    transferLimitAmount: '10000000',
    openedOn: '2017-04-03',
    pin: '4417',
    statement: 'corporate-sub',
  },
];

/** The boolean permission columns of `groups` (DESIGN §5), all false unless a demo group sets them. */
export type GroupFlags = Partial<
  Pick<
    NewGroup,
    | 'time_deposit_inquiry' | 'time_deposit_operate' | 'fx_inquiry' | 'fx_operate' | 'important_operations'
    | 'security_settings' | 'user_admin' | 'account_transfer_service' | 'virtual_account_service'
    | 'audit_log_view' | 'smartphone_app' | 'document_issuance'
  >
>;

export interface DemoAccountRight {
  /** An ordinary (普通, '01') account of the same customer; a rights row always means 照会. */
  accountNumber: string;
  operate: boolean;
  transfer: boolean;
  bulkTransfer: boolean;
}

export interface DemoGroup {
  customer: 'corporate';
  name: string;
  rights: readonly DemoAccountRight[];
  /** 承認 in yen per item; undefined = 承認権限 なし. */
  approval?: { limit: string; selfLimit: string };
  flags: GroupFlags;
}

const INQUIRY_ONLY = { operate: false, transfer: false, bulkTransfer: false } as const;

export const DEMO_GROUPS: readonly DemoGroup[] = [
  {
    customer: 'corporate',
    name: '円普通照会 書面発行',
    rights: [
      { accountNumber: '1000088', ...INQUIRY_ONLY },
      { accountNumber: '1000658', ...INQUIRY_ONLY },
    ],
    flags: { document_issuance: true },
  },
  {
    customer: 'corporate',
    name: '振込',
    rights: [{ accountNumber: '1000088', operate: true, transfer: true, bulkTransfer: true }],
    approval: { limit: '10000000', selfLimit: '1000000' },
    flags: {},
  },
  {
    customer: 'corporate',
    name: 'グループユーザー',
    rights: [],
    flags: { user_admin: true },
  },
];

export interface DemoUser {
  customer: DemoCustomerKey;
  /** Who the banner says this is. */
  label: string;
  loginId: string;
  name: string;
  email: string;
  role: UserRole;
  /** Name of a DEMO_GROUPS entry; null for the master and the individual holder. */
  group: string | null;
  loginPassword: string;
  transactionPassword: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  {
    customer: 'corporate',
    label: '法人 マスターユーザー（取引責任者）',
    loginId: '1000000001',
    name: '青空 太郎',
    email: 'taro.aozora@aozora-shoji.example',
    role: 'master',
    group: null,
    loginPassword: 'Aozora2024',
    transactionPassword: 'Torihiki2024',
  },
  {
    customer: 'corporate',
    label: '法人 ユーザー1（円普通照会 書面発行）',
    loginId: '1000000002',
    name: '佐藤 美咲',
    email: 'misaki.sato@aozora-shoji.example',
    role: 'member',
    group: '円普通照会 書面発行',
    loginPassword: 'User1pass2024',
    transactionPassword: 'User1tx2024',
  },
  {
    customer: 'corporate',
    label: '法人 ユーザー2（振込）',
    loginId: '1000000003',
    name: '鈴木 健一',
    email: 'kenichi.suzuki@aozora-shoji.example',
    role: 'member',
    group: '振込',
    loginPassword: 'User2pass2024',
    transactionPassword: 'User2tx2024',
  },
  {
    customer: 'corporate',
    label: '法人 ユーザー3（グループユーザー）',
    loginId: '1000000004',
    name: '高橋 直子',
    email: 'naoko.takahashi@aozora-shoji.example',
    role: 'member',
    group: 'グループユーザー',
    loginPassword: 'User3pass2024',
    transactionPassword: 'User3tx2024',
  },
  {
    customer: 'individual',
    label: '個人 青空 花子',
    loginId: '2000000001',
    name: '青空 花子',
    email: 'hanako.aozora@mail.example',
    role: 'master',
    group: null,
    loginPassword: 'Hanako2024',
    transactionPassword: 'Hanakotx2024',
  },
  {
    customer: 'certificate',
    label: '法人（電子証明書方式） マスターユーザー',
    loginId: '3000000001',
    name: '緑川 誠',
    email: 'makoto.midorikawa@midori-seisakusho.example',
    role: 'master',
    group: null,
    loginPassword: 'Midori2024',
    transactionPassword: 'Midoritx2024',
  },
];

/**
 * The certificate customer's master user gets a client certificate on the first start (DESIGN §9):
 * written to DATA_DIR/demo-certificates/<loginId>.pfx, protected by this 鍵保護パスワード.
 */
export const DEMO_CERTIFICATE = { loginId: '3000000001', keyProtectionPassword: 'MidoriKey2024' } as const;

/** The demo's USD TTB (電信買相場, yen per dollar), as a decimal string. */
export const DEMO_USD_TTB = '149.500';

export interface DemoPartner {
  legalName: string;
  serviceName: string;
  /** 電子決済等代行業 登録番号, in the form the 財務局 register uses (fictional number). */
  registrationNumber: string;
  websiteUrl: string;
}

export const DEMO_PARTNER: DemoPartner = {
  legalName: '株式会社 入出金情報提供',
  serviceName: 'かんたん家計簿',
  registrationNumber: '関東財務局長（電代）第99号',
  websiteUrl: 'https://kantan-kakeibo.example',
};

export interface DemoCredential {
  label: string;
  loginId: string;
  loginPassword: string;
  transactionPassword: string;
}

/** What the start-up banner and `npm run db:seed` print (§9: "print the credentials"). */
const DEMO_CREDENTIALS: readonly DemoCredential[] = DEMO_USERS.map((u) => ({
  label: u.label,
  loginId: u.loginId,
  loginPassword: u.loginPassword,
  transactionPassword: u.transactionPassword,
}));

export interface DemoAccountPin {
  /** The public 12-digit accountId: branch + type + number. */
  accountId: string;
  /** The 7-digit account number, as the holder knows it. */
  accountNumber: string;
  label: string;
  pin: string;
}

const TYPE_NAMES: Record<AccountTypeCode, string> = { '01': '普通', '11': '円定期', '51': '外貨普通' };

export const DEMO_ACCOUNT_PINS: readonly DemoAccountPin[] = DEMO_ACCOUNTS.map((a) => ({
  accountId: a.branchCode + a.accountTypeCode + a.accountNumber,
  accountNumber: a.accountNumber,
  label: `${a.branchName}(${a.branchCode}) ${TYPE_NAMES[a.accountTypeCode]}${a.currency === 'JPY' ? '' : ` ${a.currency}`} ${a.accountNumber}`,
  pin: a.pin,
}));

/**
 * The demo's beneficiary in this bank for 振込 (DESIGN §17): 青空 花子's ordinary account, already part of
 * §9's data, so a transfer from 青空商事 shows its debit and her credit in the same demo. The fields are
 * those of a GMO `TransferRequest` item (accountTypeCode 1 = 普通; beneficiaryName in half-width kana).
 */
const HANAKO_ACCOUNT = DEMO_ACCOUNTS.find((a) => a.accountNumber === '2000123')!;
export const DEMO_TRANSFER_BENEFICIARY = {
  beneficiaryBankCode: '0310',
  beneficiaryBranchCode: HANAKO_ACCOUNT.branchCode,
  accountTypeCode: '1',
  accountNumber: HANAKO_ACCOUNT.accountNumber,
  beneficiaryName: HANAKO_ACCOUNT.accountNameKana,
  label: `${HANAKO_ACCOUNT.branchName}(${HANAKO_ACCOUNT.branchCode}) 普通 ${HANAKO_ACCOUNT.accountNumber} ${HANAKO_ACCOUNT.accountName}`,
} as const;

/** The credentials and PINs as plain text lines, for a terminal. */
export function formatDemoCredentials(opts: { certificateFile?: string | undefined; publicUrl?: string } = {}): string[] {
  const certificate = opts.certificateFile
    ? [
        `client certificate of ${DEMO_CERTIFICATE.loginId} (株式会社みどり製作所, logs in by 電子証明書 only):`,
        `  ${opts.certificateFile}  鍵保護パスワード ${DEMO_CERTIFICATE.keyProtectionPassword}`,
        `  import it into the browser, open ${opts.publicUrl ?? ''}/ib/login and press 電子証明書ログイン`,
      ]
    : [];
  return [
    'demo users (login ID / login password / transaction password):',
    ...DEMO_CREDENTIALS.map((c) => `  ${c.loginId} / ${c.loginPassword} / ${c.transactionPassword}  ${c.label}`),
    'account PINs (照会用暗証番号):',
    ...DEMO_ACCOUNT_PINS.map((p) => `  ${p.accountId}  ${p.pin}  ${p.label}`),
    `transfer beneficiary in this bank (振込先): ${DEMO_TRANSFER_BENEFICIARY.label} (bank ${DEMO_TRANSFER_BENEFICIARY.beneficiaryBankCode})`,
    ...certificate,
  ];
}
