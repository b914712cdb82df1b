import { startAuthServer, type AuthServer } from '../../helpers/auth-server.ts';

interface TestLike {
  teardown(fn: () => unknown): void;
}

/** The real server with the partner demo built into the main app (see startAuthServer's `demo`). */
export async function startDemoServer(t: TestLike): Promise<AuthServer & { keyDir: string }> {
  return (await startAuthServer(t, { demo: true })) as AuthServer & { keyDir: string };
}
