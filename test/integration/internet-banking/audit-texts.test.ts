import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { AUDIT_EVENT_NAMES, auditEventName, describeDetails } from '../../../src/audit/audit-event-texts.ts';

/** Every audit type the sources record: the `type: '…'` of each recordAudit call. */
async function recordedTypes(): Promise<Set<string>> {
  const types = new Set<string>();
  const files = (await readdir('src', { recursive: true })).filter((f) => f.endsWith('.ts'));
  for (const f of files) {
    const text = await readFile(path.join('src', f), 'utf8');
    for (const m of text.matchAll(/recordAudit\((?:[^;]|;(?!\s*$))*?type: '([^']+)'/gm)) types.add(m[1]!);
  }
  return types;
}

t.test('the catalog names every audit event type the code records, in both languages', async (t) => {
  const types = await recordedTypes();
  t.ok(types.size >= 28, `found ${types.size} types`);
  for (const type of types) {
    t.ok(Object.hasOwn(AUDIT_EVENT_NAMES, type), `${type} is in the catalog`);
    t.not(auditEventName(type, 'ja'), type, `${type} has a Japanese name`);
    t.not(auditEventName(type, 'en'), type, `${type} has an English name`);
  }
  t.equal(auditEventName('login.success', 'ja'), 'ログイン');
  t.equal(auditEventName('consent.granted', 'en'), 'Consent given to an app');
  t.equal(auditEventName('some.unknown', 'ja'), 'some.unknown', 'an unknown type shows its code rather than nothing');
});

const look = {
  formatTime: (at: Date) => `JST(${at.toISOString()})`,
  clientName: (id: string) => (id === 'client-1' ? 'かんたん家計簿' : undefined),
  groupName: (id: string) => (id === 'g-1' ? '振込' : undefined),
};

t.test('details read as words: labels, coded values, client names, JST times; internal ids hidden', async (t) => {
  t.same(describeDetails({ channel: 'internet_banking', reason: 'wrong_password', failures: 2 }, 'ja', look), [
    '利用チャネル: インターネットバンキング', '理由: パスワードの誤り', '連続誤り回数: 2',
  ]);
  t.same(describeDetails({ grantId: 'x', clientId: 'client-1', scopes: ['balances'], accounts: 2, expiresAt: '2027-02-18T06:00:00.000Z', replaced: null }, 'ja', look), [
    'API連携先: かんたん家計簿', '利用業務: balances', '口座数: 2', '有効期限: JST(2027-02-18T06:00:00.000Z)',
  ]);
  t.same(describeDetails({ clientId: 'gone' }, 'en', look), ['App: gone'], 'an unknown client keeps its id');
  t.same(describeDetails({ certificate: true }, 'ja', look), ['電子証明書の利用: あり']);
  t.same(describeDetails({ selfGroupChange: true }, 'ja', look), ['自身の所属グループの変更: あり'], 'a group administrator moving themselves is named');
  t.same(describeDetails({ purpose: 'group.delete', failures: 1 }, 'en', look), ['Operation: Group deleted', 'Failures in a row: 1']);
  t.same(
    describeDetails({ before: { name: '佐藤', email: 'a@x.jp', group_id: 'g-1' }, after: { name: '鈴木', email: 'a@x.jp', group_id: null } }, 'ja', look),
    ['名前: 佐藤 → 鈴木', 'グループ: 振込 → -'], 'only what changed, with group names',
  );
  t.same(describeDetails({ groupId: 'g-1', name: '振込', deletedUsers: 3 }, 'ja', look), ['名前: 振込', '削除されたユーザー数: 3']);
  t.same(describeDetails({ name: 'x', permissions: { a: 1 } }, 'ja', look), ['名前: x', '権限: 変更内容']);
});
