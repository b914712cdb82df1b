import type { FastifyPluginAsync } from 'fastify';
import type { IbScreenOptions } from '../ib-pages.ts';
import { confirmRoutes } from './confirm.routes.ts';
import { groupsRoutes } from './groups.routes.ts';
import { settingsChangesRoutes } from './settings-changes.routes.ts';
import { usersRoutes } from './users.routes.ts';

/**
 * The ビジネスID管理 screens of internet banking (seed 003 §2–§4): グループ一覧 and ユーザー一覧 with their
 * flows, the お客さま情報 changes, and the confirmation screen every change ends on. The rules they
 * apply live in `business-id/`; these screens read forms, show pages and send the mails.
 */
export const businessIdScreens: FastifyPluginAsync<IbScreenOptions> = async function businessIdScreens(app, opts) {
  await app.register(groupsRoutes, opts);
  await app.register(usersRoutes, opts);
  await app.register(settingsChangesRoutes, opts);
  await app.register(confirmRoutes, opts);
};
