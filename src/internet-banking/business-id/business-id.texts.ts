import { RESET_CODE_TTL_MINUTES } from '../../auth/passwords.service.ts';
import { MAIL_TOKEN_TTL_MINUTES } from '../../business-id/confirmations.service.ts';
import { RETRIEVAL_PASSWORD_MIN_LENGTH } from '../../certificates/orders.ts';
import { defineTexts } from '../../shared/i18n.ts';

/** 1万円 in yen: the screens take and show limits in 万円 (seed 003 §3-1), the domain keeps yen. */
export const YEN_PER_MAN = 10_000;

/**
 * The texts of the ビジネスID管理 screens (seed 003 §3, §4) and of the shared confirmation and completion
 * screens. Japanese is the seed's wording (contract: tests and browsers find elements by it).
 */
export const BUSINESS_ID_TEXTS = defineTexts({
  title: { ja: 'ビジネスID管理', en: 'Business ID management' },
  tabs: {
    users: { ja: 'ユーザー一覧', en: 'Users' },
    groups: { ja: 'グループ一覧', en: 'Groups' },
  },
  asOf: { ja: '照会日時', en: 'As of' },
  operations: { ja: '操作メニュー', en: 'Operations' },
  select: { ja: '選択', en: 'Select' },
  nothingToShow: { ja: '表示対象がありません', en: 'Nothing to show' },
  cancel: { ja: 'キャンセル', en: 'Cancel' },
  confirm: { ja: '確認', en: 'Confirm' },
  back: { ja: '戻る', en: 'Back' },
  howToUse: { ja: '<ご利用方法>', en: 'How to use' },
  dash: { ja: '-', en: '-' },
  listSeparator: { ja: '・', en: ', ' },

  groups: {
    add: { ja: 'グループ追加', en: 'Add group' },
    edit: { ja: 'グループ編集', en: 'Edit group' },
    delete: { ja: 'グループ削除', en: 'Delete groups' },
    remaining: (n: number) => ({ ja: `グループはあと${n}個作成できます。`, en: `You can add ${n} more groups.` }),
    chooseToEdit: { ja: '編集対象グループを選択して「グループ編集」をクリックしてください。', en: 'Choose the group to edit.' },
    tickToDelete: { ja: '削除対象グループをチェックして「グループ削除」をクリックしてください。', en: 'Tick the groups to delete.' },
    name: { ja: 'グループ名', en: 'Group' },
    userNames: { ja: '登録ユーザー名', en: 'Users' },
    userCount: { ja: 'ユーザー数', en: 'Count' },
    viewTitle: { ja: 'グループ権限照会', en: 'Group rights' },
    toList: { ja: 'グループ一覧へ', en: 'Back to groups' },
    chooseGroup: { ja: '編集対象グループを選択してください。', en: 'Select the group to edit.' },
    usage: [
      { ja: '操作メニューより、グループや権限の追加・編集・削除ができます。', en: 'Add, edit and delete groups and their rights from the operations menu.' },
      { ja: 'ユーザーの追加等は、ユーザー一覧よりお手続きください。', en: 'Add users from the user list.' },
    ],
  },

  groupForm: {
    newTitle: { ja: 'グループ新規登録', en: 'New group' },
    editTitle: { ja: 'グループ編集', en: 'Edit group' },
    details: { ja: '内容の入力', en: 'Details' },
    name: { ja: 'グループ名', en: 'Group name' },
    ordinaryDeposits: { ja: '円普通預金', en: 'Yen ordinary deposits' },
    ordinary: { ja: '普通', en: 'Ordinary' },
    primary: { ja: '（代表口座）', en: ' (main account)' },
    accountRule: { ja: '※「操作」には「照会」が、「振込・振替」「総合振込」には「操作」が必要です。', en: 'Operate requires Inquiry; Transfers and Bulk transfers require Operate.' },
    inquiry: { ja: '照会', en: 'Inquiry' },
    operate: { ja: '操作', en: 'Operate' },
    transfer: { ja: '振込・振替', en: 'Transfers' },
    bulkTransfer: { ja: '総合振込', en: 'Bulk transfers' },
    approval: { ja: '承認', en: 'Approval' },
    approvalAuthority: { ja: '承認権限', en: 'Approval authority' },
    yes: { ja: 'あり', en: 'Yes' },
    no: { ja: 'なし', en: 'No' },
    approvalLimit: { ja: '承認限度額1件', en: 'Approval limit per item' },
    selfApprovalLimit: { ja: '自己承認限度額1件', en: 'Self-approval limit per item' },
    man: { ja: '万円', en: '× 10,000 yen' },
    amountMan: (yen: number) => ({
      ja: `${(yen / YEN_PER_MAN).toLocaleString('ja-JP')}万円`,
      en: `${yen.toLocaleString('en-US')} yen`,
    }),
    limitNote: {
      ja: '自己承認限度額 ≦ 承認限度額。自己承認限度額を持たせない場合は「0」を入力してください。限度額は承認権限「あり」の場合のみ有効です。',
      en: 'Amounts in units of 10,000 yen. 0 ≤ self-approval limit ≤ approval limit; enter 0 for no self-approval. Limits apply only with approval authority.',
    },
    limitExplain: {
      ja: '限度額とは、振込等1件あたりの上限金額または総合振込1回あたりの合計金額の上限です。',
      en: 'A limit is the most one transfer may be, or the most one bulk transfer may total.',
    },
    approvalRule: {
      ja: '※承認権限「あり」は、いずれかの口座に「振込・振替」または「総合振込」の権限がある場合に設定できます。',
      en: 'Approval authority can be given only with Transfers or Bulk transfers on at least one account.',
    },
    timeDeposits: { ja: '円定期預金', en: 'Yen time deposits' },
    fx: { ja: '外貨普通預金', en: 'Foreign currency ordinary deposits' },
    operateDeposits: { ja: '操作（預入、解約等）', en: 'Operate (deposit, cancel, etc.)' },
    other: { ja: 'その他', en: 'Other' },
  },

  /**
   * その他 rights in the seed's order (seed 003 §3-1 rows 4–11), with the seed's choice labels and the seed's
   * explanation of each (`explain`, then the operations it lists in `items`, then its footnote `note`).
   */
  otherRights: {
    importantOperations: {
      label: { ja: '重要権限', en: 'Important operations' }, yes: { ja: 'あり', en: 'Yes' }, no: { ja: 'なし', en: 'No' },
      explain: { ja: '重要権限とは、以下のすべての操作が可能となります。', en: 'Allows all of the following:' },
      items: [
        { ja: '法人情報・取引責任者情報の登録・変更', en: 'Registering and changing company and master user details' },
        { ja: '円普通預金口座情報の照会', en: 'Viewing yen ordinary account details' },
        { ja: 'メール・お知らせ等の通知設定・変更', en: 'Setting and changing mail and notice settings' },
        { ja: '当社からのお知らせの閲覧・削除', en: 'Reading and deleting notices from the bank' },
        { ja: 'オプションサービス（※）の申込・変更・解約', en: 'Applying for, changing and cancelling optional services (*)' },
      ],
      note: { ja: '※総合振込、ビジネスID管理サービス、振込入金口座サービス', en: '* Bulk transfers, Business ID management, virtual account service' },
    },
    securitySettings: {
      label: { ja: 'セキュリティ関連設定', en: 'Security settings' }, yes: { ja: '可', en: 'Allowed' }, no: { ja: '不可', en: 'Not allowed' },
      explain: { ja: 'セキュリティ関連設定は、以下のすべての操作が可能となります。', en: 'Allows all of the following:' },
      items: [
        { ja: '口座毎の振込限度額の設定', en: 'Setting each account’s transfer limits' },
        { ja: 'ログイン方法、認証方法等各種設定', en: 'Setting the login method, authentication method and the like' },
        { ja: '電子証明書利用申込・解約', en: 'Applying for and cancelling client certificates' },
        { ja: 'カード発行・再発行', en: 'Issuing and reissuing cards' },
        { ja: 'ATM・Visaデビットの利用限度額設定', en: 'Setting ATM and Visa debit limits' },
        { ja: 'カード機能の休止・再開', en: 'Suspending and resuming cards' },
        { ja: 'Visa Secure申込・設定', en: 'Applying for and setting Visa Secure' },
      ],
      note: { ja: '', en: '' },
    },
    userAdmin: {
      label: { ja: 'グループ・ユーザー権限設定', en: 'Group and user administration' }, yes: { ja: '可', en: 'Allowed' }, no: { ja: '不可', en: 'Not allowed' },
      explain: {
        ja: 'ビジネスID管理サービスに係るグループおよびユーザーの管理・設定（照会/追加/削除/変更）および電子証明書の発行が可能となります。',
        en: 'Allows managing the groups and users of Business ID management (view, add, delete, change) and issuing client certificates.',
      },
      items: [], note: { ja: '', en: '' },
    },
    accountTransferService: {
      label: { ja: '口座振替サービス', en: 'Account transfer service' }, yes: { ja: '登録可', en: 'May register' }, no: { ja: '登録不可', en: 'May not register' },
      explain: { ja: '口座振替の契約登録（依頼書/Web）が可能となります。', en: 'Allows registering account transfer contracts (by form or on the web).' },
      items: [], note: { ja: '', en: '' },
    },
    virtualAccountService: {
      label: { ja: '振込入金口座サービス', en: 'Virtual account service' }, yes: { ja: '利用可', en: 'May use' }, no: { ja: '利用不可', en: 'May not use' },
      explain: { ja: '振込入金口座の利用（照会、発行、削除、休止、再開）が可能となります。', en: 'Allows using virtual accounts (view, issue, delete, suspend, resume).' },
      items: [], note: { ja: '', en: '' },
    },
    auditLogView: {
      label: { ja: 'ログイン・操作履歴', en: 'Login and operation history' }, yes: { ja: '照会可', en: 'May view' }, no: { ja: '照会不可', en: 'May not view' },
      explain: { ja: 'ログイン履歴・操作ログの参照が可能となります。', en: 'Allows viewing the login history and the operation log.' },
      items: [], note: { ja: '', en: '' },
    },
    smartphoneApp: {
      label: { ja: 'スマートフォンアプリ（取引用）', en: 'Smartphone app (transactions)' }, yes: { ja: '利用可', en: 'May use' }, no: { ja: '利用不可', en: 'May not use' },
      explain: { ja: 'スマートフォンアプリでのログインおよび操作が可能となります。', en: 'Allows logging in and operating with the smartphone app.' },
      items: [],
      note: { ja: '※電子証明書を利用中の場合、スマートフォンアプリはご利用いただけません。', en: '* While client certificates are in use, the smartphone app cannot be used.' },
    },
    documentIssuance: {
      label: { ja: '書面発行', en: 'Document issuance' }, yes: { ja: '可', en: 'Allowed' }, no: { ja: '不可', en: 'Not allowed' },
      explain: {
        ja: '残高証明書、取引明細書、利息計算書の発行請求（照会、申込、変更、PDF閲覧）が可能となります。',
        en: 'Allows requesting balance certificates, transaction statements and interest statements (view, apply, change, PDF).',
      },
      items: [], note: { ja: '', en: '' },
    },
  },

  users: {
    modes: {
      edit: { ja: 'ユーザー編集', en: 'Edit users' },
      delete: { ja: 'ユーザー削除', en: 'Delete users' },
      'login-reset': { ja: 'ログインパスワード再設定（ロック解除）', en: 'Reset login password (unlock)' },
      'transaction-reset': { ja: '取引パスワード再設定（ロック解除）', en: 'Reset transaction password (unlock)' },
    },
    add: { ja: 'ユーザー追加', en: 'Add users' },
    needGroup: {
      ja: 'ユーザーを追加するには、先にグループ一覧でグループを作成してください。',
      en: 'To add users, first create a group in the group list.',
    },
    masterNotEditable: {
      ja: '取引責任者の情報は、取引責任者のみ変更できます。',
      en: 'Only the master user can change the master user’s details.',
    },
    chooseUsers: { ja: '編集対象ユーザーを選択してください。', en: 'Select the users to edit.' },
    groupFilter: { ja: 'グループ：', en: 'Group:' },
    all: { ja: 'すべて表示', en: 'All' },
    show: { ja: '表示', en: 'Show' },
    remaining: (n: number) => ({ ja: `あと${n}ユーザー登録できます。`, en: `${n} more users can be added.` }),
    tickUsers: (action: string) => ({ ja: `対象ユーザーをチェックして「${action}」をクリックしてください。`, en: `Tick the users, then press ${action}.` }),
    userId: { ja: 'ユーザーID', en: 'User ID' },
    name: { ja: 'ユーザー名', en: 'Name' },
    email: { ja: 'メールアドレス', en: 'Mail address' },
    groupName: { ja: 'グループ名', en: 'Group' },
    status: { ja: '状態', en: 'Status' },
    statuses: {
      locked: { ja: 'ロック中', en: 'Locked' },
      resetPending: { ja: '再設定中', en: 'Reset pending' },
      setupRequired: { ja: '初回設定待ち', en: 'Setup pending' },
      transactionResetPending: { ja: '取引パスワード再設定中', en: 'Transaction password being reset' },
      transactionPasswordLocked: { ja: '取引パスワードロック中', en: 'Transaction password locked' },
      active: { ja: '利用中', en: 'Active' },
    },
    usage: [
      { ja: '操作メニューより、ユーザー追加・編集・削除、ログインパスワード・取引パスワードの再設定（ロック解除）ができます。', en: 'Add, edit and delete users and reset (unlock) their passwords from the operations menu.' },
      { ja: 'グループや権限の設定は、グループ一覧よりお手続きください。', en: 'Set groups and rights in the group list.' },
    ],
    // Seed 003 §4 (ユーザー一覧, ※): shown while the certificate service is in use.
    certificateUsage: {
      ja: '電子証明書の新規発行は、操作メニューの「ユーザー追加」、再発行は「ユーザー編集」よりお手続きください。',
      en: 'Order a new certificate with ユーザー追加 (add users), a re-issue with ユーザー編集 (edit users), in the operations menu.',
    },
  },

  userForm: {
    title: { ja: 'ユーザー登録・編集', en: 'Add or edit users' },
    intro: (n: number) => ({
      ja: `あと${n}ユーザー登録できます。ユーザーID・仮ログインパスワードは、以下の登録されたメールアドレス宛に送信されます。`,
      en: `${n} more users can be added. Each new user receives their user ID and a temporary login password at the mail address below.`,
    }),
    userId: { ja: 'ユーザーID', en: 'User ID' },
    name: { ja: 'ユーザー名', en: 'Name' },
    email: { ja: 'メールアドレス', en: 'Mail address' },
    group: { ja: '所属グループ', en: 'Group' },
    choose: { ja: '選択してください', en: 'Choose' },
    addOne: { ja: '+1件追加', en: '+1 row' },
    addFive: { ja: '+5件追加', en: '+5 rows' },
    rowsLimit: (n: number) => ({ ja: `一度に${n}件まで入力できます。`, en: `Up to ${n} rows at a time.` }),
    rowsFull: (n: number) => ({
      ja: `入力欄は最大${n}件です。これ以上追加できません。${n}件を超えて登録する場合は、確認後に続けて追加してください。`,
      en: `The form holds at most ${n} rows; no more can be added. To add more users, confirm these first, then add the rest.`,
    }),
    note: { ja: '※ユーザー登録・編集した内容は、手続き後すぐに反映されます。', en: 'Changes take effect as soon as they are confirmed.' },
    // Seed 003 §4-1/§4-2 (電子証明書を利用する場合): the ordering checkbox and its password under each row.
    introWithCertificate: (n: number) => ({
      ja: `あと${n}ユーザー登録できます。証明書取得用パスワードとは、ユーザーが、電子証明書の発行手続きをする際に入力する専用パスワードです。ユーザーID・仮ログインパスワード、電子証明書の発行URLは、以下の登録されたメールアドレス宛に送信されます。`,
      en: `${n} more users can be added. The certificate retrieval password is the password a user enters to retrieve their certificate. User IDs, temporary login passwords and the certificate retrieval URLs are mailed to the addresses below.`,
    }),
    certificateOrder: { ja: '電子証明書発行（再発行）', en: 'Issue (re-issue) a certificate' },
    retrievalPassword: { ja: '証明書取得用パスワード', en: 'Certificate retrieval password' },
    retrievalPasswordHint: { ja: `英数${RETRIEVAL_PASSWORD_MIN_LENGTH}文字以上`, en: `${RETRIEVAL_PASSWORD_MIN_LENGTH} or more letters or digits` },
    retrievalPasswordAgain: {
      ja: '証明書取得用パスワードは保存されません。電子証明書発行（再発行）を選択した行は、証明書取得用パスワードをもう一度入力してください。',
      en: 'Retrieval passwords are not kept: enter them again on the rows with a certificate (re)issue.',
    },
    needPassword: (row: number) => ({ ja: `${row}行目: 証明書取得用パスワードを入力してください。`, en: `Row ${row}: enter the certificate retrieval password.` }),
    cautionHeading: { ja: '<電子証明書をご利用の場合のご注意>', en: 'When using client certificates' },
    cautions: [
      { ja: '電子証明書を利用する場合、全ユーザーが電子証明書によるログインに変わります。必ず事前に周知徹底してください。', en: 'With certificates, every user logs in by certificate: tell your users beforehand.' },
      {
        ja: '電子証明書のインストール後、【お客さま情報(申込・設定)】-【セキュリティ】よりログイン方法を「電子証明書」に変更してください。',
        en: 'Once the certificates are installed, set the login method to 電子証明書 in お客さま情報（申込・設定） - セキュリティ.',
      },
      {
        ja: 'ログイン方法の変更後は、当社取引用スマートフォンアプリもあわせてご利用いただけなくなります。電子証明書がインストールされている端末以外からのログインはできませんので、十分にご注意ください。',
        en: 'After the change the smartphone app can no longer be used, and only devices with a certificate installed can log in.',
      },
    ],
  },

  /** The confirmation screen: title and button per kind of change, and what each change will do. */
  confirmation: {
    kinds: {
      'group.create': { title: { ja: 'グループ新規登録 確認', en: 'New group: confirm' }, button: { ja: '登録', en: 'Register' } },
      'group.update': { title: { ja: 'ユーザーグループ編集 確認', en: 'Edit group: confirm' }, button: { ja: '登録', en: 'Register' } },
      'group.delete': { title: { ja: 'ビジネスID管理 グループ削除 確認', en: 'Delete groups: confirm' }, button: { ja: '削除', en: 'Delete' } },
      'user.create': { title: { ja: 'ユーザー登録・編集 確認', en: 'Add or edit users: confirm' }, button: { ja: '変更', en: 'Change' } },
      'user.update': { title: { ja: 'ユーザー登録・編集 確認', en: 'Add or edit users: confirm' }, button: { ja: '変更', en: 'Change' } },
      'user.delete': { title: { ja: 'ビジネスID管理 ユーザー削除 確認', en: 'Delete users: confirm' }, button: { ja: '削除', en: 'Delete' } },
      'password.login_reset': { title: { ja: 'ログインパスワード再設定（ロック解除） 確認', en: 'Reset login password (unlock): confirm' }, button: { ja: '実行', en: 'Execute' } },
      'password.transaction_reset': { title: { ja: '取引パスワード再設定（ロック解除） 確認', en: 'Reset transaction password (unlock): confirm' }, button: { ja: '実行', en: 'Execute' } },
      'business_id.apply': { title: { ja: '入力内容の確認', en: 'Confirm your application' }, button: { ja: '申込', en: 'Apply' } },
      'business_id.cancel': { title: { ja: 'ビジネスID管理 解約確認', en: 'Cancel Business ID management: confirm' }, button: { ja: '解約申込', en: 'Cancel the service' } },
      'certificate_service.cancel': { title: { ja: '電子証明書 解約確認', en: 'Cancel the certificate service: confirm' }, button: { ja: '解約申込', en: 'Cancel the service' } },
      'certificate_service.apply': { title: { ja: '入力内容の確認', en: 'Confirm your application' }, button: { ja: '申込', en: 'Apply' } },
      'login_method.change': { title: { ja: 'ログイン方法の変更 確認', en: 'Change the login method: confirm' }, button: { ja: '変更', en: 'Change' } },
      'certificate.order_master': { title: { ja: '電子証明書発行（再発行） 確認', en: 'Order a certificate: confirm' }, button: { ja: '申込', en: 'Order' } },
    },
    certificateOrder: { ja: '電子証明書発行（再発行）', en: 'Certificate (re)issue' },
    certificateOrdered: { ja: 'あり', en: 'Yes' },
    certificateOrderMail: {
      ja: '電子証明書発行（再発行）を選択したユーザーには、電子証明書の取得用URLを記載した「電子証明書取得のお願い」がメールで送信されます。証明書取得用パスワードはメールに記載されませんので、ユーザーにお伝えください。',
      en: 'Each user with a certificate (re)issue is mailed 電子証明書取得のお願い with the retrieval URL. The retrieval password is not in the mail: tell it to the user yourself.',
    },
    reissueNote: {
      ja: '再発行の場合、現在の電子証明書は新しい電子証明書の取得時に失効します。',
      en: 'For a re-issue, the current certificate is revoked when the new one is retrieved.',
    },
    certificateApplyIntro: { ja: '下記のとおり、申し込みます。', en: 'You are applying as follows.' },
    loginMethodIntro: { ja: '下記のとおり、ログイン方法を変更します。', en: 'The login method will be changed as follows.' },
    loginMethodLabel: { ja: 'ログイン方法', en: 'Login method' },
    loginMethods: {
      password: { ja: 'ユーザーID', en: 'User ID and password' },
      certificate: { ja: '電子証明書', en: 'Client certificate' },
    },
    loginMethodEffect: {
      ja: '変更後のログイン方法は、すべてのユーザーの次回ログインから適用されます。ログイン中のユーザーはそのままご利用いただけます。',
      en: 'The new login method applies to every user from their next login; users logged in now are not affected.',
    },
    masterCertificateIntro: { ja: '下記のとおり、取引責任者の電子証明書発行（再発行）を申し込みます。', en: 'A certificate is ordered for the master user as follows.' },

    groupUpdateNote: { ja: '変更は、このグループのユーザーの次回の操作・API呼び出しから反映されます。', en: 'The change applies from the next operation or API call of this group’s users.' },
    groupDeletePrompt: { ja: 'よろしければ「削除」ボタンをクリックしてください。', en: 'Press Delete to go ahead.' },
    groupDeleteWarning: {
      ja: '削除は即時に反映されます。グループにユーザーが登録されている場合は、ユーザーも同時に削除されますので、ご注意ください。',
      en: 'Deletion takes effect at once. The users of a deleted group are deleted with it.',
    },
    usersIntro: { ja: '以下のとおり、ユーザーを登録・編集します。', en: 'The following users will be added or changed.' },
    userDeleteWarning: {
      ja: '削除したユーザーはログインできなくなり、API連携サービスの許可と電子証明書も失効します。',
      en: 'Deleted users can no longer log in; their API connection permissions and client certificates are revoked.',
    },
    executePrompt: { ja: '上記を実行してもよろしいですか？', en: 'Do you want to go ahead?' },
    loginResetWarning: {
      ja: `実行すると、現在設定しているパスワードが失効し、対象ユーザーに、ログインパスワード再設定用のURLと「認証番号」がメールで送られます。「認証番号」は${RESET_CODE_TTL_MINUTES}分間のみ有効です。お早めにお手続きください。`,
      en: `The current password stops working, and each user is mailed a URL and a verification code to set a new login password. The code is valid for ${RESET_CODE_TTL_MINUTES} minutes only.`,
    },
    loginResetAfter: {
      ja: 'なお、ユーザーは、ログインパスワードを再設定するまではログインができません。再設定後は初回ログイン時の設定が必要です。ロック中のユーザーはロックが解除され、API連携サービスの許可は取り消されます。',
      en: 'The users cannot log in until they set a new password, and then complete the first-login setup again. Locked users are unlocked, and their API connection permissions are revoked.',
    },
    transactionResetWarning: {
      ja: '実行すると、現在設定している取引パスワードが失効し、対象ユーザーがログイン中の場合は、即時に取引パスワード再設定の画面が表示されます。対象ユーザーには取引パスワードリセット通知メールが送られ、API連携サービスの許可は取り消されます。',
      en: 'The current transaction passwords stop working; users who are logged in are asked for a new one at once. Each user is notified by mail, and their API connection permissions are revoked.',
    },
    applyIntro: { ja: '下記のとおり、申し込みます。', en: 'You are applying as follows.' },
    certificateUse: { ja: '電子証明書の利用', en: 'Client certificates' },
    certificateYes: { ja: '利用します', en: 'Use' },
    certificateNo: { ja: '利用しません', en: 'Do not use' },
    businessIdCancelPrompt: { ja: '上記サービスを解約してよろしいですか？ 解約は即時に反映されますので、ご注意ください', en: 'Cancel this service? The cancellation takes effect at once.' },
    noticeTitle: { ja: '<ご注意>', en: 'Please note' },
    businessIdCancelNotes: [
      { ja: 'ビジネスID管理サービスを解約すると、登録済みのユーザーはすべて削除され、ログインができなくなります。', en: 'Cancelling Business ID management deletes every registered user; they can no longer log in.' },
      {
        ja: '電子証明書をご利用のお客さまは、本サービス解約前に、電子証明書サービスの解約手続きを完了する必要がありますので「電子証明書の失効・解約について」をご確認の上、お手続きください。',
        en: 'If you use client certificates, cancel the certificate service before this service: see “Revoking and cancelling client certificates”.',
      },
    ],
    businessIdCancelContact: { ja: '変更をご希望の場合は、カスタマーセンターまでお問い合わせください', en: 'To change this, contact the customer centre.' },
    businessIdCancelTermsIntro: {
      ja: '注) 本サービスの利用が終了した場合、本サービスの利用終了時点で存在する取引等の取扱いについては、以下の各号に定めるとおりとします。',
      en: 'Note: when the service ends, the transactions that exist at that moment are handled as follows.',
    },
    businessIdCancelTerms: [
      { ja: '(1)申請中の承認対象取引は全て取消となります。', en: '(1) Every transaction awaiting approval is cancelled.' },
      { ja: '(2)ユーザーIDおよびユーザーグループは全て削除されます。', en: '(2) Every user ID and user group is deleted.' },
      {
        ja: '(3)本サービス利用期間中に予約した振込等および総合振込の承認または取消はできず、全て予約取消となります。',
        en: '(3) Transfers and bulk transfers booked while the service was in use can no longer be approved or withdrawn; every booking is cancelled.',
      },
      { ja: '(4)本サービス解約後に再度本サービスの契約を行っても、解約前の申請履歴は全て削除されます。', en: '(4) If you apply for the service again later, the application history from before the cancellation is gone.' },
    ],
    certificateCancelPrompt: {
      ja: '上記サービスを解約しますがよろしいですか？\n解約は即時に反映されますが、電子証明書の失効処理にはお時間をいただきますので、あらかじめご了承ください。',
      en: 'Cancel this service?\nThe cancellation takes effect at once, but revoking the certificates takes some time.',
    },
    certificateCancelNotesTitle: { ja: '<解約申込受付後のご注意>', en: 'After the cancellation is accepted' },
    certificateCancelNotes: [
      {
        ja: '電子証明書は有効期限内であっても、通常3営業日以内（年末年始や連休を除く）に失効します。',
        en: 'Certificates are revoked, even before they expire, usually within 3 business days (excluding the year-end holidays and long weekends).',
      },
      {
        ja: '当社の失効処理前であっても、解約の取消はできません。ご利用を希望される場合は、あらかじめお申し込みいただき、新たに電子証明書の発行手続きをおこなってください。',
        en: 'The cancellation cannot be withdrawn, even before the certificates are revoked. To use certificates again, apply again and have new certificates issued.',
      },
      { ja: '電子証明書の失効は、ご登録ユーザーの各メールアドレスに通知されます。', en: 'Each registered user is notified of the revocation at their mail address.' },
      { ja: 'その他詳細は、「電子証明書の失効・解約について」をご確認ください。', en: 'For details, see “Revoking and cancelling client certificates”.' },
    ],
    sent: {
      ja: `ご登録のメールアドレスにメールトークンを送信しました（有効期限${MAIL_TOKEN_TTL_MINUTES}分）。`,
      en: `We mailed a mail token to your address (valid ${MAIL_TOKEN_TTL_MINUTES} minutes).`,
    },
    reissued: { ja: 'メールトークンを再発行しました。以前のメールトークンは使用できません。', en: 'A new mail token was sent; earlier ones no longer work.' },
    transactionPassword: { ja: '取引パスワード', en: 'Transaction password' },
    mailToken: { ja: 'メールトークン', en: 'Mail token' },
    reissue: { ja: '再発行', en: 'Send a new token' },
  },

  /** The completion screen per kind of change. */
  done: {
    kinds: {
      'group.create': { title: { ja: 'グループ新規登録 完了', en: 'New group: done' }, text: { ja: 'グループが作成されました。', en: 'The group has been created.' } },
      'group.update': { title: { ja: 'グループ編集 完了', en: 'Edit group: done' }, text: { ja: 'グループ編集が完了しました。', en: 'The group has been changed.' } },
      'group.delete': { title: { ja: 'グループ削除 完了', en: 'Delete groups: done' }, text: { ja: 'グループが削除されました。', en: 'The groups have been deleted.' } },
      'user.create': {
        title: { ja: 'ユーザー登録・編集 完了', en: 'Add or edit users: done' },
        text: {
          ja: 'ユーザー登録・編集が完了しました。ユーザーの追加をされた場合は、ユーザーのメールアドレス宛にメールが送信されていますので、ご確認ください。',
          en: 'The users have been added. Each new user has been mailed their user ID and temporary login password.',
        },
      },
      'user.update': {
        title: { ja: 'ユーザー登録・編集 完了', en: 'Add or edit users: done' },
        text: { ja: 'ユーザー登録・編集が完了しました。', en: 'The users have been changed.' },
        // Seed 003 §4-1 完了画面: said when a certificate was ordered.
        certificateNote: {
          ja: 'ユーザーの追加や電子証明書を発行された場合は、ユーザーのメールアドレス宛にメールが送信されていますので、ご確認ください。',
          en: 'Users who were added or had a certificate ordered have been mailed at their addresses.',
        },
      },
      'user.delete': { title: { ja: 'ビジネスID管理 ユーザー削除 完了', en: 'Delete users: done' }, text: { ja: 'ユーザー削除が完了しました。', en: 'The users have been deleted.' } },
      'password.login_reset': {
        title: { ja: 'ログインパスワード再設定（ロック解除） 受付完了', en: 'Reset login password (unlock): accepted' },
        text: {
          ja: `ログインパスワード再設定対象ユーザー宛に、ログインパスワード再設定用のURLと「認証番号」をメールしています。「認証番号」の有効期限は${RESET_CODE_TTL_MINUTES}分ですのでお早めにお手続きいただくようお知らせください。`,
          en: `Each user has been mailed a URL and a verification code to set a new login password. The code expires after ${RESET_CODE_TTL_MINUTES} minutes: ask them to act soon.`,
        },
      },
      'password.transaction_reset': {
        title: { ja: '取引パスワード再設定（ロック解除） 受付完了', en: 'Reset transaction password (unlock): accepted' },
        text: { ja: '取引パスワード再設定対象ユーザー宛に、取引パスワードリセット通知メールをしています。', en: 'Each user has been notified by mail that their transaction password was reset.' },
      },
      // Seed 003 §2-1/§2-2 利用申込完了: the certificate steps only when 電子証明書 was chosen.
      'business_id.apply': {
        title: { ja: 'ビジネスID管理 利用申込完了', en: 'Business ID management: application complete' },
        text: { ja: '上記サービスをご利用いただけるようになりました。', en: 'The service is now available.' },
        addUsersHeading: { ja: '<ユーザーを追加する場合>', en: 'To add users' },
        addUsers: {
          ja: '【グループ一覧】の[操作メニュー]より[ユーザー追加]を選択し、【ユーザー登録・編集】でユーザーを追加してください。',
          en: 'In the group list, choose ユーザー追加 (add users) from the operation menu and add the users in ユーザー登録・編集.',
        },
        certificateHeading: { ja: '<ユーザーを追加せず、電子証明書の利用を開始する場合>', en: 'To start using certificates without adding users' },
        certificateText: { ja: '電子証明書の発行手続きをおこなってください。', en: 'Order the certificates.' },
        guideTitle: { ja: '電子証明書のご利用手順', en: 'How to start using certificates' },
        guide: [
          {
            ja: '電子証明書の発行：【ユーザー一覧】の[操作メニュー]より「ユーザー追加」を選択し、【ユーザー登録・編集】で、電子証明書の発行手続きをします。',
            en: 'Issue the certificates: in the user list, choose ユーザー追加 from the operation menu and order the certificates in ユーザー登録・編集.',
          },
          {
            ja: 'ログイン方法の変更：電子証明書のインストールを実施し、【お客さま情報(申込・設定)】-【セキュリティ】より、ログイン方法を「電子証明書」に変更します。',
            en: 'Change the login method: install the certificates, then set the login method to 電子証明書 (certificate) in お客さま情報（申込・設定） - セキュリティ.',
          },
        ],
        cautionHeading: { ja: '<ご注意>', en: 'Please note' },
        cautions: [
          {
            ja: 'ログイン方法を変更すると、電子証明書によるログインに変わります。ユーザー追加後は、必ず事前に周知徹底してください。',
            en: 'Changing the login method switches everyone to certificate login: tell your users beforehand.',
          },
          {
            ja: 'ログイン方法の変更後は、当社取引用スマートフォンアプリもあわせてご利用いただけなくなります。電子証明書がインストールされている端末以外からのログインはできませんので、十分にご注意ください。',
            en: 'After the change the smartphone app can no longer be used, and only devices with a certificate installed can log in.',
          },
        ],
      },
      'business_id.cancel': { title: { ja: 'ビジネスID管理の解約 完了', en: 'Business ID management: cancelled' }, text: { ja: 'ビジネスID管理を解約しました。', en: 'Business ID management has been cancelled.' } },
      'certificate_service.apply': {
        title: { ja: '電子証明書 利用申込完了', en: 'Certificate service: application complete' },
        text: { ja: '上記サービスをご利用いただけるようになりました。', en: 'The service is now available.' },
        note: {
          ja: '【ユーザー一覧】の[操作メニュー]より「ユーザー追加」または「ユーザー編集」を選択し、【ユーザー登録・編集】で電子証明書の発行手続きをしてください。電子証明書のインストール後、【お客さま情報（申込・設定）】-【セキュリティ】より、ログイン方法を「電子証明書」に変更します。',
          en: 'Order the certificates in ユーザー登録・編集 (add or edit users). Once they are installed, set the login method to 電子証明書 in お客さま情報（申込・設定） - セキュリティ.',
        },
      },
      'login_method.change': {
        title: { ja: 'ログイン方法の変更 完了', en: 'Login method changed' },
        text: { ja: 'ログイン方法を変更しました。すべてのユーザーの次回ログインから適用されます。', en: 'The login method has been changed. It applies to every user from their next login.' },
      },
      'certificate.order_master': {
        title: { ja: '電子証明書発行（再発行） 完了', en: 'Certificate ordered' },
        text: {
          ja: '電子証明書の発行を受け付けました。ご登録のメールアドレス宛に「電子証明書取得のお願い」が送信されていますので、ご確認ください。',
          en: 'The certificate has been ordered. 電子証明書取得のお願い has been mailed to your address.',
        },
      },
      'certificate_service.cancel': {
        title: { ja: '電子証明書 解約受付完了', en: 'Certificate service: cancellation accepted' },
        text: { ja: '上記サービスの解約申込を受け付けました。', en: 'The cancellation has been accepted.' },
        note: {
          ja: '有効な電子証明書がある場合、当社の失効処理が完了するまではログインが可能なため、操作を許可しないユーザーについては、【ユーザー一覧】-【ユーザー登録・編集】で削除してください。',
          en: 'Until the bank has revoked a valid certificate, it can still be used to log in: delete any user you do not want to operate in the user list.',
        },
      },
    },
    toGroups: { ja: 'グループ一覧へ', en: 'Back to groups' },
    toUsers: { ja: 'ユーザー一覧へ', en: 'Back to users' },
    close: { ja: '閉じる', en: 'Close' },
    mailFailures: (n: number) => ({
      ja: `${n}件のメールを送信できませんでした。対象ユーザーのログインパスワード再設定を行ってください。`,
      en: `${n} mails could not be sent. Reset the login password of the users concerned.`,
    }),
  },
});
