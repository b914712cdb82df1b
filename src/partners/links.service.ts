import type { RequestContext } from '../audit/audit.repository.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { AppError } from '../shared/errors.ts';
import { defineTexts } from '../shared/i18n.ts';
import { endGrant } from './grants.service.ts';
import { listLinks, lockEndableLink, type LinkRow, type LinkScope } from './links.repository.ts';

/**
 * Who is looking at API連携サービスの利用状況 (DESIGN §15). The screens decide `seesCustomer`: the master
 * user and users whose group has グループ・ユーザー権限設定 see and may end every user's links of their
 * customer; everyone else (an individual customer's user included) only their own.
 */
export interface LinkViewer {
  userId: string;
  customerId: string;
  seesCustomer: boolean;
}

const LINK_ERRORS = defineTexts({
  notFound: {
    ja: '対象の連携が見つかりません。すでに解除されたか、有効期限が切れた可能性があります。',
    en: 'The link was not found. It may have been ended already or have expired.',
  },
});

function scopeOf(viewer: LinkViewer): LinkScope {
  return { customerId: viewer.customerId, userId: viewer.seesCustomer ? undefined : viewer.userId };
}

/** The viewer's links: active ones, and those ended or expired within the last year. */
export async function linksOf(db: Db, viewer: LinkViewer): Promise<{ active: LinkRow[]; ended: LinkRow[] }> {
  const rows = await listLinks(db, scopeOf(viewer));
  return { active: rows.filter((r) => r.endedAt === null), ended: rows.filter((r) => r.endedAt !== null).sort((a, b) => b.endedAt!.getTime() - a.endedAt!.getTime()) };
}

/** One active link the viewer may end (for 連携解除の確認), or a 404. */
export async function endableLink(db: Db, viewer: LinkViewer, grantId: string): Promise<LinkRow> {
  const link = (await listLinks(db, scopeOf(viewer))).find((r) => r.grantId === grantId && r.endedAt === null);
  if (!link) throw new AppError(404, 'not_found', { message: LINK_ERRORS.notFound });
  return link;
}

/**
 * 連携解除 (DESIGN §15): ends the link at once, as the holder when it is the viewer's own and as an
 * administrator otherwise, in one transaction with its audit row. The grant is locked first, so two
 * presses (or the holder and an administrator at once) end it once; the second is told it is gone.
 */
export async function endLink(db: Db, viewer: LinkViewer, grantId: string, context?: RequestContext): Promise<void> {
  await inTransaction(db, async (trx) => {
    const link = await lockEndableLink(trx, scopeOf(viewer), grantId);
    if (!link) throw new AppError(404, 'not_found', { message: LINK_ERRORS.notFound });
    const by = link.user_id === viewer.userId ? 'holder' : 'administrator';
    await endGrant(trx, { grantId, by, reason: by === 'holder' ? 'ended_by_holder' : 'ended_by_administrator', actorUserId: viewer.userId, context });
  });
}
