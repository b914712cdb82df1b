import type { FastifyInstance, FastifyRequest, FastifySchemaValidationError } from 'fastify';

/** Parts of a request Fastify has parsed by the time validation runs, in the order they are checked. */
const PARTS = ['params', 'querystring', 'body'] as const;
type Part = (typeof PARTS)[number];

const MESSAGE = 'must not contain NUL or unpaired surrogate characters';

/** A string no column can store as sent: PostgreSQL refuses NUL (22021); an unpaired surrogate is not UTF-8. */
function isUnsafeText(s: string): boolean {
  return s.includes('\u0000') || !s.isWellFormed();
}

/** RFC 6901, as Ajv writes `instancePath`. */
const pointerSegment = (key: string) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * Where the first unsafe string (by default: with a NUL or an unpaired surrogate) is in a parsed value
 * (an instance path; '' for the value itself), or undefined. Keys count as much as values. Iterative, so a deeply nested JSON body cannot exhaust the stack.
 */
export function unsafeTextAt(value: unknown, unsafeText: (s: string) => boolean = isUnsafeText): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const v = item.value;
    if (typeof v === 'string') {
      if (unsafeText(v)) return item.path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i -= 1) stack.push({ value: v[i], path: `${item.path}/${i}` });
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [key, inner] of Object.entries(v)) {
        const path = item.path + pointerSegment(key);
        if (unsafeText(key)) return path;
        stack.push({ value: inner, path });
      }
    }
  }
  return undefined;
}

function partValue(request: FastifyRequest, part: Part): unknown {
  return part === 'querystring' ? request.query : request[part];
}

/**
 * The one check every parsed form, query string, JSON body and path parameter passes before any route
 * sees it (DESIGN §11): a NUL byte or an unpaired surrogate is refused as invalid input, so no free-text
 * field of any form can carry one to the database. The refusal has the shape of a schema validation
 * error: a route that shows its form again with a message (`attachValidation`) gets it as its
 * `validationError`, naming the field as its own schema would; any other route answers 400
 * `invalid_parameter` through the root error handler.
 *
 * The provider's endpoints (/oauth2/*) never get here: they read the raw stream (see oidc/adapter.ts).
 */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async function refuseUnsafeText(request) {
    for (const part of PARTS) {
      const at = unsafeTextAt(partValue(request, part));
      if (at === undefined) continue;
      const validation: FastifySchemaValidationError[] = [{ keyword: 'pattern', instancePath: at, schemaPath: '#/unsafeText', params: { pattern: 'no NUL, no unpaired surrogate' }, message: MESSAGE }];
      const error = Object.assign(new Error(`${part}${at} ${MESSAGE}`), { statusCode: 400, validation, validationContext: part });
      // Such a route reads `validationError` first; Fastify's own schema check may still replace it with
      // an earlier complaint about the same request, which is as good a reason to show the form again.
      if (request.routeOptions.attachValidation) {
        request.validationError = error;
        return;
      }
      throw error;
    }
  });
}
