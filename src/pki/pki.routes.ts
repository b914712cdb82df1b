import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { caCertificatesPem, type BankCa } from '../certificates/bank-ca.ts';
import { currentCrl } from '../certificates/revocation.ts';
import type { Database } from '../db/database.ts';

export interface PkiOptions {
  db: Kysely<Database>;
  /** The bank CA; asked once, on the first request that needs it. */
  bankCa: () => Promise<BankCa>;
}

/**
 * What relying parties outside the bank need to check its client certificates (DESIGN §14): the CA
 * certificates and the issuing CA's CRL, public and without a session.
 */
export const pkiRoutes: FastifyPluginAsyncTypebox<PkiOptions> = async function pkiRoutes(app, { db, bankCa }) {
  let ca: Promise<BankCa> | undefined;
  const getCa = () => {
    ca ??= bankCa().catch((err: unknown) => {
      ca = undefined;
      throw err;
    });
    return ca;
  };

  app.get('/pki/ca.crt', {
    schema: { response: { 200: Type.String({ description: 'The issuing CA, then the root (PEM)' }) } },
  }, async (_request, reply) => {
    const pem = caCertificatesPem(await getCa());
    return reply
      .type('application/pem-certificate-chain')
      .header('cache-control', 'public, max-age=86400')
      .header('content-disposition', 'inline; filename="renkei-ca.crt"')
      .send(pem);
  });

  app.get('/pki/crl', {
    schema: { response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The issuing CA\'s CRL (DER)' }) } },
  }, async (_request, reply) => {
    const der = await currentCrl(db, await getCa());
    // Re-signed on every revocation: relying parties should not keep it long.
    return reply.type('application/pkix-crl').header('cache-control', 'public, max-age=300').send(der);
  });
};
