import { RESET_CODE_TTL_MINUTES } from '../../auth/passwords.service.ts';
import { MAIL_TOKEN_TTL_MINUTES } from '../../business-id/confirmations.service.ts';
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
    accountRule: { ja: '※「操作」には「照会」が、「振込・振替」「総合振込」には「操作」が必要です。', en: '操作 requires 照会; 振込・振替 and 総合振込 require 操作.' },
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
      en: 'Amounts in 万円 (10,000 yen). 0 ≤ self-approval limit ≤ approval limit; enter 0 for no self-approval. Limits apply only with 承認権限 あり.',
    },
    timeDeposits: { ja: '円定期預金', en: 'Yen time deposits' },
    fx: { ja: '外貨普通預金', en: 'Foreign currency ordinary deposits' },
    operateDeposits: { ja: '操作（預入、解約等）', en: 'Operate (deposit, cancel, etc.)' },
    other: { ja: 'その他', en: 'Other' },
  },

  /** その他 rights in the seed's order (seed 003 §3-1 rows 4–11), with the seed's choice labels. */
  otherRights: {
    importantOperations: { label: { ja: '重要権限', en: 'Important operations' }, yes: { ja: 'あり', en: 'Yes' }, no: { ja: 'なし', en: 'No' } },
    securitySettings: { label: { ja: 'セキュリティ関連設定', en: 'Security settings' }, yes: { ja: '可', en: 'Allowed' }, no: { ja: '不可', en: 'Not allowed' } },
    userAdmin: { label: { ja: 'グループ・ユーザー権限設定', en: 'Group and user administration' }, yes: { ja: '可', en: 'Allowed' }, no: { ja: '不可', en: 'Not allowed' } },
    accountTransferService: { label: { ja: '口座振替サービス', en: 'Account transfer service' }, yes: { ja: '登録可', en: 'May register' }, no: { ja: '登録不可', en: 'May not register' } },
    virtualAccountService: { label: { ja: '振込入金口座サービス', en: 'Virtual account service' }, yes: { ja: '利用可', en: 'May use' }, no: { ja: '利用不可', en: 'May not use' } },
    auditLogView: { label: { ja: 'ログイン・操作履歴', en: 'Login and operation history' }, yes: { ja: '照会可', en: 'May view' }, no: { ja: '照会不可', en: 'May not view' } },
    smartphoneApp: { label: { ja: 'スマートフォンアプリ（取引用）', en: 'Smartphone app (transactions)' }, yes: { ja: '利用可', en: 'May use' }, no: { ja: '利用不可', en: 'May not use' } },
    documentIssuance: { label: { ja: '書面発行', en: 'Document issuance' }, yes: { ja: '可', en: 'Allowed' }, no: { ja: '不可', en: 'Not allowed' } },
  },

  users: {
    modes: {
      edit: { ja: 'ユーザー編集', en: 'Edit users' },
      delete: { ja: 'ユーザー削除', en: 'Delete users' },
      'login-reset': { ja: 'ログインパスワード再設定（ロック解除）', en: 'Reset login password (unlock)' },
      'transaction-reset': { ja: '取引パスワード再設定（ロック解除）', en: 'Reset transaction password (unlock)' },
    },
    add: { ja: 'ユーザー追加', en: 'Add users' },
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
      transactionPasswordLocked: { ja: '取引パスワードロック中', en: 'Transaction password locked' },
      active: { ja: '利用中', en: 'Active' },
    },
    usage: [
      { ja: '操作メニューより、ユーザー追加・編集・削除、ログインパスワード・取引パスワードの再設定（ロック解除）ができます。', en: 'Add, edit and delete users and reset (unlock) their passwords from the operations menu.' },
      { ja: 'グループや権限の設定は、グループ一覧よりお手続きください。', en: 'Set groups and rights in the group list.' },
    ],
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
    note: { ja: '※ユーザー登録・編集した内容は、手続き後すぐに反映されます。', en: 'Changes take effect as soon as they are confirmed.' },
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
      'business_id.cancel': { title: { ja: 'ビジネスID管理 解約確認', en: 'Cancel ビジネスID管理: confirm' }, button: { ja: '解約申込', en: 'Cancel the service' } },
      'certificate_service.cancel': { title: { ja: '電子証明書 解約確認', en: 'Cancel the certificate service: confirm' }, button: { ja: '解約申込', en: 'Cancel the service' } },
    },
    groupUpdateNote: { ja: '変更は、このグループのユーザーの次回の操作・API呼び出しから反映されます。', en: 'The change applies from the next operation or API call of this group’s users.' },
    groupDeletePrompt: { ja: 'よろしければ「削除」ボタンをクリックしてください。', en: 'Press 削除 (Delete) to go ahead.' },
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
      en: `The current password stops working, and each user is mailed a URL and a 認証番号 to set a new login password. The 認証番号 is valid for ${RESET_CODE_TTL_MINUTES} minutes only.`,
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
    businessIdCancelWarning: {
      ja: 'ビジネスID管理サービスを解約すると、登録済みのユーザーはすべて削除され、ログインができなくなります。グループもすべて削除され、削除されたユーザーのAPI連携サービスの許可は取り消されます。',
      en: 'Every user is deleted and can no longer log in; every group is deleted, and the deleted users’ API connection permissions are revoked.',
    },
    certificateCancelPrompt: { ja: '上記サービスを解約しますがよろしいですか？', en: 'Cancel this service?' },
    certificateCancelWarning: {
      ja: '電子証明書はすべて失効し、ログイン方法はログインID・パスワードに切り替わります。解約の取消はできません。',
      en: 'Every client certificate is revoked and login switches to login ID and password. This cannot be undone.',
    },
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
      'user.update': { title: { ja: 'ユーザー登録・編集 完了', en: 'Add or edit users: done' }, text: { ja: 'ユーザー登録・編集が完了しました。', en: 'The users have been changed.' } },
      'user.delete': { title: { ja: 'ビジネスID管理 ユーザー削除 完了', en: 'Delete users: done' }, text: { ja: 'ユーザー削除が完了しました。', en: 'The users have been deleted.' } },
      'password.login_reset': {
        title: { ja: 'ログインパスワード再設定（ロック解除） 受付完了', en: 'Reset login password (unlock): accepted' },
        text: {
          ja: `ログインパスワード再設定対象ユーザー宛に、ログインパスワード再設定用のURLと「認証番号」をメールしています。「認証番号」の有効期限は${RESET_CODE_TTL_MINUTES}分ですのでお早めにお手続きいただくようお知らせください。`,
          en: `Each user has been mailed a URL and a 認証番号 to set a new login password. The 認証番号 expires after ${RESET_CODE_TTL_MINUTES} minutes: ask them to act soon.`,
        },
      },
      'password.transaction_reset': {
        title: { ja: '取引パスワード再設定（ロック解除） 受付完了', en: 'Reset transaction password (unlock): accepted' },
        text: { ja: '取引パスワード再設定対象ユーザー宛に、取引パスワードリセット通知メールをしています。', en: 'Each user has been notified by mail that their transaction password was reset.' },
      },
      'business_id.apply': {
        title: { ja: 'ビジネスID管理 利用申込完了', en: 'ビジネスID管理: application complete' },
        text: {
          ja: '上記サービスをご利用いただけるようになりました。ユーザーを追加する場合は、グループ一覧でグループを作成し、ユーザー一覧からユーザーを追加してください。',
          en: 'The service is now available. To add users, create a group in the group list, then add users from the user list.',
        },
      },
      'business_id.cancel': { title: { ja: 'ビジネスID管理の解約 完了', en: 'ビジネスID管理: cancelled' }, text: { ja: 'ビジネスID管理を解約しました。', en: 'ビジネスID管理 has been cancelled.' } },
      'certificate_service.cancel': {
        title: { ja: '電子証明書 解約受付完了', en: 'Certificate service: cancellation accepted' },
        text: { ja: '上記サービスの解約申込を受け付けました。', en: 'The cancellation has been accepted.' },
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
