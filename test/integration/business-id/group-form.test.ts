import t from 'tap';
import { MAX_APPROVAL_LIMIT_YEN } from '../../../src/business-id/permissions.ts';
import type { GroupFormBody } from '../../../src/internet-banking/business-id/business-id.schemas.ts';
import { emptyGroup, readGroupForm } from '../../../src/internet-banking/business-id/group-form.ts';

// Reading the group form (グループ新規登録 / グループ編集) into a permission set, without HTTP. What the
// schema refuses (repeated or non-string fields, NUL) is tested on the screens (form-input.test.ts).

const X = '0b0c8f1e-0000-4000-8000-000000000001';
const Y = '0b0c8f1e-0000-4000-8000-000000000002';

function body(fields: Partial<GroupFormBody>, accountFields: Record<string, 'on'> = {}): GroupFormBody {
  const defaults: GroupFormBody = {
    name: '', approval: 'no', approvalLimitMan: '', selfApprovalLimitMan: '',
    importantOperations: 'no', securitySettings: 'no', userAdmin: 'no', accountTransferService: 'no', virtualAccountService: 'no',
    auditLogView: 'no', smartphoneApp: 'no', documentIssuance: 'no',
  };
  return Object.assign(defaults, fields, accountFields);
}

t.test('the group form: 万円 to yen, rights per account, unknown accounts ignored', async (t) => {
  const p = readGroupForm(body(
    { name: ' g ', approval: 'yes', approvalLimitMan: '1,000', selfApprovalLimitMan: '0', fxInquiry: 'on', auditLogView: 'yes' },
    { [`a_${X}_inquiry`]: 'on', [`a_${X}_operate`]: 'on', a_ffffffff_inquiry: 'on' },
  ), [X, Y]);
  t.equal(p.name, 'g', 'trimmed');
  t.same(p.permissions.accounts, [{ accountId: X, inquiry: true, operate: true, transfer: false, bulkTransfer: false }]);
  t.same(p.permissions.approval, { authority: true, limitYen: 10_000_000, selfLimitYen: 0 });
  t.equal(p.permissions.other.auditLogView, true);
  t.equal(p.permissions.other.userAdmin, false);
  t.equal(p.permissions.fx.inquiry, true);
  t.equal(p.permissions.fx.operate, false);
});

t.test('limits are read only with 承認権限 あり, as whole 万円 up to the domain maximum', async (t) => {
  t.same(readGroupForm(body({ approval: 'no', approvalLimitMan: 'junk' }), []).permissions.approval, { authority: false }, 'limits only with 承認権限 あり');
  t.throws(() => readGroupForm(body({ approval: 'yes', approvalLimitMan: '１０', selfApprovalLimitMan: '0' }), []), { code: 'invalid_parameter' }, 'full-width digits');
  t.throws(() => readGroupForm(body({ approval: 'yes', approvalLimitMan: '1.5', selfApprovalLimitMan: '0' }), []), { code: 'invalid_parameter' });
  t.throws(() => readGroupForm(body({ approval: 'yes', approvalLimitMan: '', selfApprovalLimitMan: '0' }), []), { code: 'invalid_parameter' });
  const max = MAX_APPROVAL_LIMIT_YEN / 10_000;
  t.same(readGroupForm(body({ approval: 'yes', approvalLimitMan: max.toLocaleString('en-US'), selfApprovalLimitMan: '0' }), []).permissions.approval,
    { authority: true, limitYen: MAX_APPROVAL_LIMIT_YEN, selfLimitYen: 0 }, 'the largest limit');
  try {
    readGroupForm(body({ approval: 'yes', approvalLimitMan: String(max + 1), selfApprovalLimitMan: '0' }), []);
    t.fail('one more is refused');
  } catch (err) {
    t.match(err, { code: 'invalid_parameter', messages: { ja: `承認限度額は0〜${max.toLocaleString('en-US')}の整数（万円）で入力してください。` } }, 'the message reads the maximum');
  }
});

t.test('an empty group has no rights at all', async (t) => {
  const g = emptyGroup();
  t.equal(g.name, '');
  t.same(g.permissions.accounts, []);
  t.same(g.permissions.approval, { authority: false });
  t.ok(Object.values(g.permissions.other).every((v) => v === false));
});
