import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { canManageCustomerSettings, canManageSecuritySettings } from '../../business-id/actor.ts';
import { AppError } from '../../shared/errors.ts';
import { requireRight, requireSession, type IbScreenOptions } from '../ib-pages.ts';
import { propose } from './business-id.pages.ts';
import { BusinessIdApplyBody, TokenOnlyBody } from './business-id.schemas.ts';
import { BUSINESS_ID_TEXTS } from './business-id.texts.ts';
import { invalidInput } from './form-input.ts';

const APPLY_LABELS = { certificate: BUSINESS_ID_TEXTS.confirmation.certificateUse };

/**
 * The お客さま情報（申込・設定） changes (seed 003 §2): ビジネスID管理 申込 and 解約 (重要権限), 電子証明書 解約
 * (セキュリティ関連設定). Their screens are the internet-banking settings pages; each change is proposed
 * here and made on the shared confirmation screen.
 */
export const settingsChangesRoutes: FastifyPluginAsync<IbScreenOptions> = async function settingsChangesRoutes(base, opts) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = opts;
  const settingsPost = [opts.verifyForm, requireSession(opts), requireRight(canManageCustomerSettings)];
  // 電子証明書利用申込・解約 is セキュリティ関連設定 (seed 003 §3-1 row 5), not 重要権限.
  const securityPost = [opts.verifyForm, requireSession(opts), requireRight(canManageSecuritySettings)];

  app.post('/ib/settings/business-id/apply', { schema: { body: BusinessIdApplyBody }, attachValidation: true, preHandler: settingsPost }, async function proposeBusinessIdApplication(request, reply) {
    if (request.validationError) throw invalidInput(request.validationError, APPLY_LABELS);
    const { certificate, agree } = request.body;
    if (certificate === undefined) {
      throw new AppError(400, 'invalid_parameter', { message: { ja: '電子証明書の利用を選択してください。', en: 'Choose whether to use client certificates.' } });
    }
    if (agree !== 'on') {
      throw new AppError(400, 'invalid_parameter', { message: { ja: '規定に同意のうえお申込みください。', en: 'Agree to the terms to apply.' } });
    }
    return propose(db, request, reply, { kind: 'business_id.apply', payload: { certificate: certificate === 'yes' } });
  });

  app.post('/ib/settings/business-id/cancel', { schema: { body: TokenOnlyBody }, preHandler: settingsPost }, async function proposeBusinessIdCancellation(request, reply) {
    return propose(db, request, reply, { kind: 'business_id.cancel', payload: {} });
  });

  app.post('/ib/settings/certificate/cancel', { schema: { body: TokenOnlyBody }, preHandler: securityPost }, async function proposeCertificateCancellation(request, reply) {
    return propose(db, request, reply, { kind: 'certificate_service.cancel', payload: {} });
  });
};
