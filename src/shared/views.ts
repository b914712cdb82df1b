import { fileURLToPath } from 'node:url';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance } from 'fastify';
import { SITE } from './site.texts.ts';

export const VIEWS_DIR = fileURLToPath(new URL('../../views', import.meta.url));
export const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** Eta through @fastify/view; templates auto-escape (`<%= %>`), compiled once and cached. */
export async function registerViews(app: FastifyInstance): Promise<void> {
  await app.register(view, {
    engine: { eta: new Eta({ autoEscape: true, autoTrim: [false, 'nl'] }) },
    templates: VIEWS_DIR,
    production: true,
    // The layout and error page read their texts from here in the page's language.
    defaultContext: { site: SITE },
  });
}
