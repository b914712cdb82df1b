/**
 * Points where the fault tests kill the process as `kill -9` would, to prove that what must commit
 * together does. Armed only by the entry point under NODE_ENV=test with RENKEI_TEST_CRASH_AT naming
 * the point; a no-op everywhere else, production included. A module-level switch, not configuration:
 * it must reach any depth of the code without being passed through it, and no deployment sets it.
 */
export type CrashPoint =
  /** 許可: the provider's Grant is written, the bank's grant not yet (same transaction). */
  | 'consent.provider-grant-saved'
  /** 許可: the bank's grant is written, its audit row not yet (same transaction). */
  | 'consent.bank-grant-written'
  /** 許可: everything committed, the journey not yet told (interactionResult). */
  | 'consent.committed';

let armed: string | undefined;

/** Called once by server.ts with its environment. */
export function armCrashPoint(env: Record<string, string | undefined>): void {
  armed = env.NODE_ENV === 'test' ? env.RENKEI_TEST_CRASH_AT : undefined;
}

export function crashPoint(point: CrashPoint): void {
  if (armed !== point) return;
  // SIGKILL to itself: no handler, no flush, no rollback beyond what the database does on a lost connection.
  process.kill(process.pid, 'SIGKILL');
}
