import type { Kysely } from 'kysely';
import type { Provider } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import { findClient, type ClientWithPartner } from '../partners/clients.repository.ts';
import type { ClientCache } from './client-cache.ts';

/** A client with its partner, as the provider and the journey's pages read it. */
export interface ClientLookup {
  (clientId: string): Promise<ClientWithPartner | undefined>;
  /** Drops a client this process just changed (other processes hear of it through NOTIFY). */
  forget(clientId: string): void;
}

/**
 * The one way a process reads clients on the protocol and journey paths: through the process's client
 * cache when it has one (dropped by LISTEN/NOTIFY on any change to the client or its partner), else
 * from the table every time. The journey shows a client's names on every page and the provider looks
 * it up on every request: without the cache that is one round trip each.
 */
export function clientLookup(db: Kysely<Database>, cache: ClientCache<ClientWithPartner> | undefined): ClientLookup {
  const lookup = cache ? (id: string) => cache.get(id, () => findClient(db, id)) : (id: string) => findClient(db, id);
  return Object.assign(lookup, { forget: (id: string) => cache?.invalidate(id) });
}

const registered = new WeakMap<Provider, ClientLookup>();

/** Records the lookup the provider was built with, so the pages mounted beside it share its cache. */
export function registerClientLookup(provider: Provider, lookup: ClientLookup): void {
  registered.set(provider, lookup);
}

/** The lookup of a provider built by createAuthorizationServer; for any other one, a plain read. */
export function clientLookupOf(provider: Provider, db: Kysely<Database>): ClientLookup {
  return registered.get(provider) ?? clientLookup(db, undefined);
}
