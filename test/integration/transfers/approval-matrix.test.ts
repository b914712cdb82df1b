import t from 'tap';
import { amountForLimit, approvalDecision, mayReturn, transferFee, type Approver } from '../../../src/transfers/transfer-rules.ts';

/**
 * The approval matrix of DESIGN §17 / seed 003 §3-1, exhaustively: every combination of 承認権限 あり/なし,
 * 承認限度額, 自己承認限度額, 振込・振替 on the account, own / other's application, role (master / member) and
 * customer kind (corporate / individual), at amounts limit-1, limit and limit+1 of each limit; 総合振込
 * compares the total, 通常・一括振込 the largest item. The expectation is written independently of the code.
 */

const LIMITS: Array<{ approval: bigint; self: bigint }> = [
  { approval: 10_000_000n, self: 1_000_000n },
  { approval: 500_000n, self: 500_000n },
  { approval: 300_000n, self: 0n },
  { approval: 0n, self: 0n },
];

function expected(a: Approver, own: boolean, amount: bigint): string {
  if (a.role === 'master' || a.customerKind === 'individual') return 'allowed';
  if (!a.transferRightOnAccount) return 'no_transfer_right';
  if (!a.approvalRight) return 'no_approval_right';
  if (amount > a.approvalLimit!) return 'over_approval_limit';
  if (own && amount > a.selfApprovalLimit!) return 'over_self_approval_limit';
  return 'allowed';
}

t.test('every combination, at and around every limit', async (t) => {
  let cases = 0;
  let mismatches = 0;
  const seen = new Set<string>();
  for (const role of ['master', 'member'] as const) {
    for (const customerKind of ['corporate', 'individual'] as const) {
      for (const approvalRight of [true, false]) {
        for (const transferRightOnAccount of [true, false]) {
          for (const limits of LIMITS) {
            const approver: Approver = {
              role, customerKind, approvalRight, transferRightOnAccount,
              approvalLimit: approvalRight ? limits.approval : null, selfApprovalLimit: approvalRight ? limits.self : null,
            };
            const around = [limits.approval, limits.self].flatMap((l) => [l - 1n, l, l + 1n]).filter((x) => x >= 1n);
            for (const ownApplication of [true, false]) {
              for (const amount of around) {
                const got = approvalDecision(approver, { ownApplication, amountForLimit: amount });
                const want = expected({ ...approver, approvalLimit: approver.approvalLimit ?? 0n, selfApprovalLimit: approver.selfApprovalLimit ?? 0n }, ownApplication, amount);
                const gotWord = got.allowed ? 'allowed' : got.reason;
                seen.add(gotWord);
                cases++;
                if (gotWord !== want) {
                  mismatches++;
                  t.fail(`${role}/${customerKind} right=${approvalRight} transfer=${transferRightOnAccount} limits=${limits.approval}/${limits.self} own=${ownApplication} amount=${amount}: ${gotWord} ≠ ${want}`);
                }
              }
            }
          }
        }
      }
    }
  }
  t.equal(mismatches, 0, `all ${cases} combinations decided as expected`);
  t.same([...seen].sort(), ['allowed', 'no_approval_right', 'no_transfer_right', 'over_approval_limit', 'over_self_approval_limit'], 'every outcome occurs');
});

t.test('the limits themselves: at the limit is within it, one yen more is not', async (t) => {
  const member: Approver = { role: 'member', customerKind: 'corporate', approvalRight: true, approvalLimit: 10_000_000n, selfApprovalLimit: 1_000_000n, transferRightOnAccount: true };
  t.same(approvalDecision(member, { ownApplication: false, amountForLimit: 10_000_000n }), { allowed: true });
  t.same(approvalDecision(member, { ownApplication: false, amountForLimit: 10_000_001n }), { allowed: false, reason: 'over_approval_limit' });
  t.same(approvalDecision(member, { ownApplication: true, amountForLimit: 1_000_000n }), { allowed: true });
  t.same(approvalDecision(member, { ownApplication: true, amountForLimit: 1_000_001n }), { allowed: false, reason: 'over_self_approval_limit' });
  t.same(approvalDecision(member, { ownApplication: true, amountForLimit: 10_000_001n }), { allowed: false, reason: 'over_approval_limit' }, 'over both: the approval limit is named');
  const noSelf = { ...member, selfApprovalLimit: 0n };
  t.same(approvalDecision(noSelf, { ownApplication: true, amountForLimit: 1n }), { allowed: false, reason: 'over_self_approval_limit' }, '自己承認限度額 0: never one\'s own');
  t.same(approvalDecision(noSelf, { ownApplication: false, amountForLimit: 1n }), { allowed: true }, '…but others\' applications');
  t.same(approvalDecision({ ...member, role: 'master' }, { ownApplication: true, amountForLimit: 999_999_999_999n }), { allowed: true }, 'the master approves their own, any amount');
  t.same(approvalDecision({ ...member, customerKind: 'individual', approvalRight: false, approvalLimit: null, selfApprovalLimit: null }, { ownApplication: true, amountForLimit: 5n }), { allowed: true }, 'an individual approves their own');
});

t.test('総合振込 compares the total, 通常・一括振込 the largest item', async (t) => {
  const member: Approver = { role: 'member', customerKind: 'corporate', approvalRight: true, approvalLimit: 1_000n, selfApprovalLimit: 0n, transferRightOnAccount: true };
  const items = [600n, 400n, 1n];
  t.equal(amountForLimit('transfer', items), 600n);
  t.equal(amountForLimit('bulk', items), 1001n);
  t.same(approvalDecision(member, { ownApplication: false, amountForLimit: amountForLimit('transfer', items) }), { allowed: true }, 'each item within the limit');
  t.same(approvalDecision(member, { ownApplication: false, amountForLimit: amountForLimit('bulk', items) }), { allowed: false, reason: 'over_approval_limit' }, 'the total over it');
  t.same(approvalDecision(member, { ownApplication: false, amountForLimit: amountForLimit('bulk', [600n, 400n]) }), { allowed: true }, 'a total at the limit');
});

t.test('差戻: deciders only, never one\'s own', async (t) => {
  const member: Approver = { role: 'member', customerKind: 'corporate', approvalRight: true, approvalLimit: 1n, selfApprovalLimit: 0n, transferRightOnAccount: true };
  t.ok(mayReturn(member, false), 'an approver returns whatever the amount');
  t.notOk(mayReturn(member, true), 'not their own');
  t.notOk(mayReturn({ ...member, approvalRight: false }, false), 'no approval authority');
  t.notOk(mayReturn({ ...member, transferRightOnAccount: false }, false), 'no transfer right on the account');
  t.ok(mayReturn({ ...member, role: 'master', approvalRight: false }, false), 'the master');
});

t.test('fees: same bank free, other banks by amount', async (t) => {
  t.equal(transferFee({ beneficiaryBankCode: '0310', amount: 5_000_000n }, '0310'), 0n);
  t.equal(transferFee({ beneficiaryBankCode: '0005', amount: 29_999n }, '0310'), 145n);
  t.equal(transferFee({ beneficiaryBankCode: '0005', amount: 30_000n }, '0310'), 245n);
  t.equal(transferFee({ beneficiaryBankCode: '0310', amount: 30_000n }, '0005'), 245n, 'this bank is whatever BANK_CODE says');
});
