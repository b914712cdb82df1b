import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface ServerTls {
  key: string;
  cert: string;
  /** Where it came from, for the start-up log. */
  source: 'configured' | 'generated' | 'reused';
}

const RENEW_BEFORE_MS = 30 * 86_400_000;

/**
 * The HTTPS server's certificate: the configured files, or a self-signed ECDSA P-256 certificate kept
 * in `DATA_DIR/tls/` (DESIGN §3). A kept certificate is reused while it covers every host name and has
 * more than 30 days left; otherwise a new one is generated.
 */
export async function loadServerTls(opts: {
  certFile?: string | undefined;
  keyFile?: string | undefined;
  dataDir: string;
  hostnames: string[];
}): Promise<ServerTls> {
  if (opts.certFile && opts.keyFile) {
    const [cert, key] = await Promise.all([readFile(opts.certFile, 'utf8'), readFile(opts.keyFile, 'utf8')]);
    return { cert, key, source: 'configured' };
  }
  const dir = path.join(opts.dataDir, 'tls');
  const certPath = path.join(dir, 'server.crt');
  const keyPath = path.join(dir, 'server.key');
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...opts.hostnames])];
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    if (stillGood(cert, names)) return { cert, key, source: 'reused' };
  } catch {
    // none yet
  }
  const generated = await generateSelfSigned(names);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, generated.key, { mode: 0o600 });
  await writeFile(certPath, generated.cert, { mode: 0o644 });
  return { ...generated, source: 'generated' };
}

function stillGood(pem: string, names: string[]): boolean {
  const cert = new NodeX509(pem);
  if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
  return names.every((n) => (isIP(n) ? cert.checkIP(n) : cert.checkHost(n)) !== undefined);
}

export async function generateSelfSigned(names: string[], days = 397): Promise<{ key: string; cert: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'C=JP, O=renkei, CN=renkei development server',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { key: `${key}\n`, cert: `${cert.toString('pem')}\n` };
}
