import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import https from 'node:https';
import * as x509 from '@peculiar/x509';
import type { Kysely } from 'kysely';
import { randomSerialHex, sha256Hex, type BankCa } from '../../src/certificates/bank-ca.ts';
import type { Database } from '../../src/db/database.ts';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface PemPair {
  cert: string;
  key: string;
}

/**
 * A client certificate made by hand: signed by `issuer` (the bank CA, or another) or self-signed, with
 * the given validity. With `record`, the bank's `certificates` row for it too (as issuance would write).
 */
export async function makeClientCertificate(opts: {
  cn: string;
  org?: string;
  issuer?: { name: x509.Name | string; key: webcrypto.CryptoKey; algorithm?: webcrypto.Algorithm | webcrypto.EcdsaParams };
  notBefore?: Date;
  notAfter?: Date;
  record?: { db: Kysely<Database>; userId: string };
}): Promise<PemPair & { fingerprint: string; serial: string }> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const serial = randomSerialHex();
  const subject: x509.JsonName = [{ C: ['JP'] }, { O: [opts.org ?? 'テスト商事'] }, { CN: [opts.cn] }];
  const notBefore = opts.notBefore ?? new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000);
  const notAfter = opts.notAfter ?? new Date(Math.floor((Date.now() + 86_400_000) / 1000) * 1000);
  const extensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ];
  const cert = opts.issuer
    ? await x509.X509CertificateGenerator.create({
        serialNumber: serial, subject, issuer: opts.issuer.name, notBefore, notAfter, publicKey: keys.publicKey,
        signingKey: opts.issuer.key, signingAlgorithm: opts.issuer.algorithm ?? EC, extensions,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: serial, name: subject, notBefore, notAfter, keys, signingAlgorithm: EC, extensions });
  const fingerprint = sha256Hex(cert.rawData);
  if (opts.record) {
    await opts.record.db.insertInto('certificates').values({
      user_id: opts.record.userId, serial_number: serial, fingerprint_sha256: fingerprint, subject: cert.subject,
      not_before: notBefore, not_after: notAfter, status: 'issued',
    }).execute();
  }
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: `${cert.toString('pem')}\n`, key: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`, fingerprint, serial };
}

/** The bank's issuing CA as a signer for makeClientCertificate. */
export function bankIssuer(ca: BankCa) {
  return { name: ca.issuing.subjectName, key: ca.signingKey, algorithm: ca.signingAlgorithm };
}

/** Another CA, unknown to the bank. */
export async function foreignIssuer() {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const name = 'C=JP, O=Other Bank, CN=Other Bank Client CA';
  return { name, key: keys.privateKey, algorithm: EC };
}

/** The RFC 9440 `Client-Cert` value of a PEM certificate: `:base64-DER:`. */
export function clientCertHeader(pem: string): string {
  return `:${pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')}:`;
}

/** What a client presents: a PEM pair, a PKCS#12 file with its password, or nothing. */
export interface TlsClientIdentity {
  cert?: string;
  key?: string;
  pfx?: Buffer;
  passphrase?: string;
}

export interface HttpAnswer {
  status: number;
  location: string | undefined;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A minimal browser for a TLS origin, through node:https: it presents the client certificate given
 * (PEM pair or PKCS#12), keeps the cookies its origin sets, sends form posts, and never follows redirects.
 */
export class TlsBrowser {
  readonly cookies = new Map<string, string>();
  private readonly origin: string;
  private readonly serverCa: string;
  private readonly client: TlsClientIdentity;
  constructor(origin: string, serverCa: string, client: TlsClientIdentity = {}) {
    this.origin = origin;
    this.serverCa = serverCa;
    this.client = client;
  }

  request(method: 'GET' | 'POST', path: string, opts: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
    const url = new URL(path, this.origin);
    const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    const cookie = [...this.cookies.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = https.request({
        method, host: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, port: url.port, path: url.pathname + url.search, servername: 'localhost', ca: this.serverCa, agent: false, ...this.client,
        headers: {
          accept: 'text/html', 'accept-language': 'ja', ...(cookie ? { cookie } : {}),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...opts.headers,
        },
      }, (res) => {
        for (const sc of res.headers['set-cookie'] ?? []) {
          const [pair] = sc.split(';');
          const eq = pair!.indexOf('=');
          const value = pair!.slice(eq + 1);
          if (value) this.cookies.set(pair!.slice(0, eq), value);
          else this.cookies.delete(pair!.slice(0, eq));
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** The form token of a page. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no form token on the page:\n${html.slice(0, 600)}`);
  return m[1]!;
}

/** The text of the page's alert, tags removed. */
export function alertOf(html: string): string | undefined {
  const m = /role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  return m?.[1]!.replace(/<[^>]+>/g, '').trim();
}
