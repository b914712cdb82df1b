import { createPublicKey } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch } from 'undici';
import { DEMO_USERS } from '../../src/db/seed/demo-data.ts';
import { DEMO_PINS } from '../../test/helpers/api-session.ts';
import type { AuthServer } from '../../test/helpers/auth-server.ts';
import { JourneyDriver } from '../../test/helpers/journey-driver.ts';
import { generateEs256 } from './jws.ts';

/** The demo user whose consent the API, transfer and cluster benches walk (法人, master user). */
const BENCH_API_LOGIN_ID = '1000000002';

/**
 * What a bench needs to be a partner of the bench server: a DPoP key (raw, for signing proofs in bulk,
 * and as the key pair oauth4webapi signs its own proofs with), and an HTTPS client that trusts the
 * bench's server certificate. `agent.close()` when done.
 */
export function loadGeneratorClient(issuer: string, serverCertificatePem: string) {
  const dpopKey = generateEs256();
  const dpopPair = {
    privateKey: dpopKey.privateKey.toCryptoKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']),
    publicKey: createPublicKey(dpopKey.privateKey).toCryptoKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']),
  } as oauth.CryptoKeyPair;
  const agent = new Agent({ connect: { ca: serverCertificatePem } });
  const fetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => undiciFetch(input, { ...init, dispatcher: agent })) as typeof undiciFetch;
  const auth = { issuer, fetch } as unknown as AuthServer;
  return { dpopKey, dpopPair, agent, auth };
}

/** One consent journey of a demo user (PIN registration included the first time), up to the callback. */
export async function walkConsentJourney(auth: AuthServer, url: URL, loginId = BENCH_API_LOGIN_ID): Promise<URL> {
  const b = new JourneyDriver(auth);
  await b.go('GET', url.toString());
  await b.post('login', { login_id: loginId, password: DEMO_USERS.find((u) => u.loginId === loginId)!.loginPassword });
  for (let guard = 0; guard < 4 && b.title === 'API連携認証（照会用暗証番号登録）'; guard++) {
    const accountId = b.values('account_id')[0]!;
    const number = new RegExp(`value="${accountId}"[\\s\\S]*?(\\d{7})</label>`).exec(b.html)?.[1];
    await b.post('pin', { account_id: accountId, pin: DEMO_PINS[number ?? '']! });
    if (b.html.includes('照会用暗証番号の追加登録')) await b.go('GET', `/interaction/${b.uid}`);
  }
  if (b.html.includes('/pin/confirm')) await b.post('pin/confirm', {});
  const callback = await b.post('consent', { decision: 'allow', continue: 'on' });
  if (!callback) throw new Error(`bench: the journey did not reach the client (${b.status} ${b.title})`);
  return callback;
}
