import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.schema.ts';
import { BUSINESS_SCOPES } from '../shared/scopes.ts';
import { DPOP_ALGS } from './api-errors.ts';

/** RFC 9728 §3: the metadata of a resource lives at the well-known path followed by the resource's path. */
const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource/api/v1';

const StringList = (description: string) => Type.Array(Type.String(), { description });

const ProtectedResourceMetadataSchema = Type.Object({
  resource: Type.String({ description: 'The resource identifier (RFC 8707), the audience of its access tokens' }),
  authorization_servers: StringList('Issuers whose access tokens the resource accepts'),
  scopes_supported: StringList('The scopes (利用業務) the resource understands'),
  bearer_methods_supported: StringList('How the access token is sent: the Authorization header only'),
  resource_name: Type.String(),
  resource_documentation: Type.String(),
  tls_client_certificate_bound_access_tokens: Type.Boolean(),
  dpop_bound_access_tokens_required: Type.Boolean(),
  dpop_signing_alg_values_supported: StringList('JWS algorithms accepted in DPoP proofs'),
}, { additionalProperties: false });

/**
 * RFC 9728 protected-resource metadata of the resource API (DESIGN §15 "Partner side"), on the main
 * origin (the one its identifier names). Tokens are sender-constrained: DPoP (required on this origin)
 * or a certificate binding on the mutual-TLS one; `Authorization` is the only bearer method (never
 * the query string or a form body).
 */
export async function protectedResourceMetadataRoute(fastify: FastifyInstance, opts: { config: Readonly<Config> }): Promise<void> {
  const { config } = opts;
  const metadata = {
    resource: config.apiIdentifier,
    authorization_servers: [config.publicUrl],
    scopes_supported: [...BUSINESS_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'renkei API（照会・振込）',
    resource_documentation: `${config.publicUrl}/api/docs`,
    tls_client_certificate_bound_access_tokens: true,
    dpop_bound_access_tokens_required: false,
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
  };
  fastify.withTypeProvider<TypeBoxTypeProvider>().get(PROTECTED_RESOURCE_METADATA_PATH, {
    schema: { hide: true, response: { 200: ProtectedResourceMetadataSchema } },
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=3600');
    return metadata;
  });
}
