import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { buildApp } from '../../src/app.ts';
import { caCertificatesPem, loadBankCa, randomSerialHex, type BankCa } from '../../src/certificates/bank-ca.ts';
import { seedDemoData } from '../../src/db/seed/seed.ts';
import { createAuthorizationServer } from '../../src/oidc/authorization-server.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { mutualTlsOptions } from '../../src/tls/mutual-tls.ts';
import { generateSelfSigned } from '../../src/tls/server-certificate.ts';
import type { AuthServer } from './auth-server.ts';
import { memoryLogSink, testConfig, TEST_SECRETS } from './build-app.ts';
import { createTestDatabase } from './database.ts';
import { JourneyDriver } from './journey-driver.ts';
import { advanceToConsent, login } from './fapi.ts';
import { freePort } from './processes.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface PartnerServer extends AuthServer {
  bankCa: BankCa;
  initialAccessToken: string;
}

/**
 * Both listeners exactly as src/server.ts composes them for partners: the bank CA loaded once and
 * shared, the mutual-TLS listener trusting it and PARTNER_CA_FILE (the test helper auth-server.ts
 * trusts no CA, which is enough for certificate-bound tokens but not for tls_client_auth).
 */
export async function startPartnerServer(t: TestLike, opts: { env?: Record<string, string> } = {}): Promise<PartnerServer> {
  const [port, mtlsPort] = [await freePort(), await freePort()];
  const initialAccessToken = `iat-${webcrypto.randomUUID()}-${webcrypto.randomUUID()}`.replace(/[^A-Za-z0-9-]/g, '');
  const database = await createTestDatabase(t);
  await seedDemoData(database.db, { today: '2026-11-20', initialAccessToken });
  const config = testConfig({ PORT: String(port), MTLS_PORT: String(mtlsPort), INITIAL_ACCESS_TOKEN: initialAccessToken, ...opts.env });
  const sink = memoryLogSink();
  const logger = createLogger('info', sink.stream);
  const bankCa = await loadBankCa(database.db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });
  const base = { config, db: database.db, logger, secrets: TEST_SECRETS, bankCa };
  const provider = await createAuthorizationServer({ ...base, listen: database.listen });
  const tls = await generateSelfSigned(['localhost']);
  const tlsBase = { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' as const };
  const main = await buildApp({ ...base, provider }, { listener: 'main', https: tlsBase });
  const mtls = await buildApp({ ...base, provider }, {
    listener: 'mtls', https: await mutualTlsOptions(tlsBase, { bankCaPem: caCertificatesPem(bankCa), partnerCaFile: config.partnerCaFile }),
  });
  await main.listen({ host: '127.0.0.1', port });
  await mtls.listen({ host: '127.0.0.1', port: mtlsPort });
  const agent = new Agent({ connect: { ca: tls.cert } });
  t.teardown(async () => {
    await agent.close();
    await main.close();
    await mtls.close();
  });
  const fetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  return {
    issuer: config.publicUrl, mtlsUrl: config.mtlsPublicUrl, config, database, provider, main, mtls, ca: tls.cert, fetch,
    logs: sink.lines, bankCa, initialAccessToken,
  };
}

/** How a client connects: its TLS client certificate (PEM or PKCS#12), the source address, extra headers. */
export interface Connection {
  cert?: { cert: string; key: string } | { pfx: Buffer; passphrase: string };
  /** e.g. 127.0.0.2: a second loopback address, standing for a proxy (or for a client that is not one). */
  localAddress?: string;
  /** Sent on every request, e.g. an RFC 9440 Client-Cert a proxy adds. */
  headers?: Record<string, string>;
}

/** A fetch (openid-client's customFetch shape) over its own connection pool. */
export function connectionFetch(t: TestLike, server: AuthServer, c: Connection): client.CustomFetch {
  // undici takes the source address on the Agent, not among the connect options.
  const agent = new Agent({ connect: { ca: server.ca, ...c.cert }, ...(c.localAddress ? { localAddress: c.localAddress } : {}) });
  t.teardown(() => agent.close());
  return ((url: string, options: client.CustomFetchOptions) => {
    const headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
    for (const [k, v] of Object.entries(c.headers ?? {})) headers.set(k, v);
    return undiciFetch(url, { ...options, headers: Object.fromEntries(headers), dispatcher: agent } as unknown as Parameters<typeof undiciFetch>[1]);
  }) as unknown as client.CustomFetch;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const pemKey = async (k: webcrypto.CryptoKey) => `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', k), 'PRIVATE KEY')}\n`;

/** A CA of a partner's own (PARTNER_CA_FILE), or of nobody the bank knows. */
export async function makeCa(name: string) {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(), name, keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return { cert, key: keys.privateKey, pem: `${cert.toString('pem')}\n` };
}

/** A certificate (EKU clientAuth unless told otherwise) with this subject (DER order JSON name), issued by `issuer` or self-signed. */
export async function clientCertificate(
  subject: x509.JsonName,
  issuer?: { cert: x509.X509Certificate; key: webcrypto.CryptoKey; algorithm?: webcrypto.Algorithm | webcrypto.EcdsaParams },
  opts: { notAfter?: Date; eku?: string[] } = {},
) {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const common = {
    serialNumber: randomSerialHex(), notBefore: new Date(Date.now() - 120_000), notAfter: opts.notAfter ?? new Date(Date.now() + 86_400_000),
    signingAlgorithm: issuer?.algorithm ?? { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.ExtendedKeyUsageExtension(opts.eku ?? [x509.ExtendedKeyUsage.clientAuth])],
  };
  const cert = issuer
    ? await x509.X509CertificateGenerator.create({ ...common, subject, issuer: issuer.cert.subjectName, publicKey: keys.publicKey, signingKey: issuer.key })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys });
  return { cert: `${cert.toString('pem')}\n`, key: await pemKey(keys.privateKey), der: Buffer.from(cert.rawData) };
}

/** RFC 9440 §2: the Client-Cert field value of a DER certificate. */
export function clientCertField(der: Buffer): string {
  return `:${der.toString('base64')}:`;
}

export const REDIRECT_URI = 'https://partner.example/callback';

/** RFC 7591 registration with the partner's initial access token, as a partner's engineer sends it. */
export async function registerClient(server: PartnerServer, metadata: Record<string, unknown>) {
  const res = await server.fetch(`${server.issuer}/oauth2/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${server.initialAccessToken}` },
    body: JSON.stringify({
      client_name: 'テスト証明書アプリ', redirect_uris: [REDIRECT_URI], response_types: ['code'], grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid offline_access balances transactions', ...metadata,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** openid-client's view of a registered client: discovery, the mTLS endpoint aliases, the given fetch. */
export async function partnerConfiguration(server: AuthServer, clientId: string, auth: client.ClientAuth, fetch: client.CustomFetch) {
  const config = await client.discovery(new URL(server.issuer), clientId, { use_mtls_endpoint_aliases: true }, auth, { [client.customFetch]: fetch });
  config[client.customFetch] = fetch;
  return config;
}

/** PAR (on the alias), the journey as a demo user, and the code exchange (on the alias). */
export async function connectPartner(server: AuthServer, config: client.Configuration, user: { loginId: string; password: string }, scope = 'openid offline_access balances transactions') {
  const codeVerifier = client.randomPKCECodeVerifier();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: REDIRECT_URI, scope, code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  const b = new JourneyDriver(server);
  await b.go('GET', url.toString());
  await login(b, user);
  await advanceToConsent(b);
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  if (!callback) throw new Error(`the journey did not reach the client: ${b.title}`);
  return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier });
}

/** GET on the resource API through `fetch` with the access token as Bearer; challenges come back as responses. */
export async function bearerGet(fetch: client.CustomFetch, url: string, accessToken: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'GET', headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', ...headers }, body: undefined, redirect: 'manual', signal: undefined } as unknown as client.CustomFetchOptions);
}

/** The OAuth error code of a refused openid-client call (undefined when it succeeded). */
export async function oauthErrorOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    const e = err as { error?: string; cause?: { error?: string } };
    if (typeof e.error === 'string') return e.error;
    if (typeof e.cause?.error === 'string') return e.cause.error;
    throw err;
  }
}
