import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { issuedByTrustedCa } from './client-trust.ts';

/**
 * The one reader of client certificates (DESIGN §13). On the mutual-TLS listener the certificate comes
 * from the TLS handshake; behind a TLS-terminating proxy (TRUST_PROXY) only from the RFC 9440
 * `Client-Cert` header named by CLIENT_CERT_HEADER, and only when the request came from a trusted
 * proxy address (the proxy must overwrite any copy the client sent).
 */
export function presentedCertificate(
  request: { socket: Socket; headers: IncomingHttpHeaders },
  opts: { clientCertHeader?: string | undefined; trustedProxies: string[] },
): X509Certificate | undefined {
  const socket = request.socket as TLSSocket;
  if (opts.clientCertHeader) {
    if (!opts.trustedProxies.includes(socket.remoteAddress ?? '')) return undefined;
    const value = request.headers[opts.clientCertHeader];
    if (typeof value !== 'string') return undefined;
    // RFC 9440 §2.1: a Structured Field byte sequence, `:base64-DER:`.
    const m = /^:([A-Za-z0-9+/=]+):$/.exec(value.trim());
    if (!m) return undefined;
    try {
      return new X509Certificate(Buffer.from(m[1]!, 'base64'));
    } catch {
      return undefined;
    }
  }
  // The handshake's certificate as an X509Certificate directly: getPeerCertificate(true) would first
  // build the whole chain as plain objects (~150 µs on every certificate-bound API call).
  if (typeof socket.getPeerX509Certificate !== 'function') return undefined;
  return socket.getPeerX509Certificate();
}

/** RFC 8705 §3.1: the `x5t#S256` confirmation of a certificate — base64url SHA-256 of its DER. */
export function certificateThumbprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('base64url');
}

/**
 * Whether the presented certificate chains to a trusted CA (`anchors`: the bank's issuing CA and the
 * partner CAs): on the mutual-TLS listener the handshake decided it (OpenSSL verified against the same
 * list); through a proxy (RFC 9440) no handshake of ours saw the certificate, so its chain is checked here.
 */
export function presentedCertificateTrusted(
  request: { socket: Socket; headers: IncomingHttpHeaders },
  opts: { clientCertHeader?: string | undefined; trustedProxies: string[] },
  anchors: readonly X509Certificate[],
): boolean {
  if (!opts.clientCertHeader) return (request.socket as TLSSocket).authorized === true;
  const cert = presentedCertificate(request, opts);
  return cert !== undefined && issuedByTrustedCa(cert, anchors);
}
