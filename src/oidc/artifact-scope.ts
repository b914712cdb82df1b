import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';
import type { AdapterPayload } from 'oidc-provider';

/** A stored artifact as the adapter returns it, or null when the row is known not to exist. */
export type KnownRow = { payload: AdapterPayload; consumedAt: Date | null } | null;

/**
 * What one HTTP request has already read or written of oidc_payloads (an identity map). oidc-provider
 * reads the same rows several times per request — `interactionDetails` and then `interactionResult`
 * read the interaction and its session twice, the resume reads the interaction it is about to destroy —
 * and each read is a database round trip. Within one request the second read is answered from here.
 *
 * Only protocol artifacts, and only for the request's lifetime: nothing about a user's rights is kept
 * (those are bank tables, read by their own queries), and the next request starts empty. Single-use
 * decisions never come from here: `consume` always asks the database (a conditional UPDATE).
 */
/** The map key of a model's row (ids and uids are printable: NUL cannot occur in them). */
const keyOf = (model: string, id: string) => `${model}\u0000${id}`;

export class ArtifactScope {
  private readonly rows = new Map<string, KnownRow>();
  private readonly uids = new Map<string, string>();

  get(model: string, id: string): KnownRow | undefined {
    const row = this.rows.get(keyOf(model, id));
    // A copy: the provider builds models from the payload and may change them.
    return row ? { payload: structuredClone(row.payload), consumedAt: row.consumedAt } : row;
  }

  getByUid(model: string, uid: string): KnownRow | undefined {
    const id = this.uids.get(keyOf(model, uid));
    return id === undefined ? undefined : this.get(model, id);
  }

  /** Keeps `row` itself: pass a row nobody else holds (freshly read, or a copy of what was written). */
  set(model: string, id: string, row: KnownRow): void {
    this.rows.set(keyOf(model, id), row);
    const uid = row?.payload.uid;
    if (typeof uid === 'string') this.uids.set(keyOf(model, uid), id);
  }

  /** A row this request changed in a way it cannot mirror (inside a transaction that may roll back). */
  forget(model: string, id: string): void {
    this.rows.delete(keyOf(model, id));
    for (const [k, v] of this.uids) if (v === id && k.startsWith(keyOf(model, ''))) this.uids.delete(k);
  }

  /** Every row of a model (e.g. all artifacts of a revoked grant). */
  forgetModel(model: string): void {
    for (const k of this.rows.keys()) if (k.startsWith(keyOf(model, ''))) this.rows.delete(k);
    for (const k of this.uids.keys()) if (k.startsWith(keyOf(model, ''))) this.uids.delete(k);
  }
}

const scopes = new AsyncLocalStorage<ArtifactScope>();

/** The scope of the request being served, if any (scheduled work and the CLI have none). */
export function currentArtifactScope(): ArtifactScope | undefined {
  return scopes.getStore();
}

/** Runs `fn` with a scope of its own, as a request's handler runs (tests; work outside HTTP has none). */
export function withArtifactScope<T>(fn: () => T): T {
  return scopes.run(new ArtifactScope(), fn);
}

const RESOURCE = Symbol('artifactScopeResource');

/**
 * Gives every request on `app` its own ArtifactScope: opened in onRequest (before the provider, which
 * middie runs in onRequest, so register this first) and carried into the route's handler past the
 * body parser (whose callbacks run in the socket's async context) as @fastify/request-context does.
 */
export function registerArtifactScope(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    scopes.run(new ArtifactScope(), () => {
      (request as unknown as Record<symbol, AsyncResource>)[RESOURCE] = new AsyncResource('renkei-artifact-scope');
      done();
    });
  });
  app.addHook('preValidation', (request, _reply, done) => {
    const resource = (request as unknown as Record<symbol, AsyncResource | undefined>)[RESOURCE];
    if (resource) resource.runInAsyncScope(done, request.raw);
    else done();
  });
}
