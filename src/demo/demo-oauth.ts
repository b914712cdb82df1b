import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { DEMO_CLIENT_ID, type DemoClientKey } from './demo-client.ts';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The demo only ever calls its own server on this machine. */
function isLoopbackUrl(url: string): boolean {
  return LOOPBACK.has(new URL(url).hostname);
}

export interface DemoOAuth {
  /** openid-client configuration, discovered on first use. */
  configuration(): Promise<client.Configuration>;
  close(): Promise<void>;
}

/**
 * An openid-client v6 client of this server: discovery (once, on first use, since the server is not
 * listening yet when the plugin registers), private_key_jwt, and every request through an undici
 * Agent whose only trusted CA is the server's certificate.
 */
export function createDemoOAuth(opts: { issuer: string; serverCertificate: string; key: DemoClientKey }): DemoOAuth {
  if (!isLoopbackUrl(opts.issuer)) throw new Error(`the demo client only calls a loopback issuer, not ${opts.issuer}`);
  const agent = new Agent({ connect: { ca: opts.serverCertificate } });
  const trustingFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  let discovered: Promise<client.Configuration> | undefined;
  return {
    configuration() {
      discovered ??= client.discovery(
        new URL(opts.issuer), DEMO_CLIENT_ID,
        { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256' },
        client.PrivateKeyJwt({ key: opts.key.privateKey, kid: opts.key.kid }),
        { [client.customFetch]: trustingFetch as unknown as client.CustomFetch },
      ).catch((err: unknown) => {
        discovered = undefined; // try again on the next request
        throw err;
      });
      return discovered;
    },
    close: () => agent.close(),
  };
}
