import type { FastifyInstance, InjectOptions } from 'fastify';
import t from 'tap';
import { startAuthServer } from '../../helpers/auth-server.ts';
import { advanceToConsent, FULL_SCOPE, login, startJourney, TITLES, USERS } from '../../helpers/fapi.ts';
import { insertTestClient } from '../../helpers/oauth-client.ts';
import { IbClient } from '../internet-banking/ib-client.ts';
import {
  CORE_VALUES, deepKey, ENCODED_VALUES, JSON_VALUES, nested, PARAM_VALUES, routesOf, Tally, withDeadline, type RouteEntry,
} from './malformed-corpus.ts';

// The malformed-input corpus over every Fastify route of both listeners (DESIGN §11: no input makes
// the server answer 500): every form field, query parameter and path parameter gets NUL bytes, invalid
// UTF-8, lone surrogates, impossible dates, bad UUIDs, huge numbers and over-long values; every POST
// route also gets JSON with the values a form cannot carry, deep nesting, wrong content types and
// 1 MB bodies; every route gets odd cookies and headers. Routes behind a login are fuzzed twice: as a
// stranger and inside a session (internet banking as the master user; the consent journey with its
// interaction cookies, on its login step and on each later step for that step's form), with the page's
// valid CSRF token so the values reach the handlers.
// The provider's /oauth2/* endpoints have their own corpus (malformed-corpus-provider.test.ts).
t.setTimeout(300_000);

/** An answer must come within this; more is a stall (reported, not timed). */
const DEADLINE_MS = 20_000;

const server = await startAuthServer(t, { demo: true });
const { db } = server.database;
const tally = new Tally();

interface Context {
  name: string;
  /** Whether every field gets every value; otherwise the core values, and no body variants past the first. */
  full: (route: RouteEntry) => boolean;
  cookie?: () => string;
  csrf?: () => string;
  accept: string;
}

async function send(app: FastifyInstance, what: string, opts: InjectOptions): Promise<void> {
  try {
    const res = await withDeadline(app.inject(opts), DEADLINE_MS);
    tally.record(what, res === 'stalled' ? 'stalled' : { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: res.body });
  } catch (err) {
    tally.record(what, err as Error);
  }
}

// ---- What the pages offer: forms (their fields and values) and links (valid path parameters) ----

interface Form { action: string; method: string; fields: Map<string, string> }

const decodeHtml = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

function formsIn(html: string): Form[] {
  const forms: Form[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = m[1]!;
    const action = decodeHtml(/action="([^"]*)"/.exec(attrs)?.[1] ?? '');
    const method = (/method="([^"]*)"/.exec(attrs)?.[1] ?? 'get').toUpperCase();
    const fields = new Map<string, string>();
    for (const f of m[2]!.matchAll(/<(?:input|select|textarea|button)\b([^>]*)>/g)) {
      const name = /name="([^"]+)"/.exec(f[1]!)?.[1];
      if (name && !fields.has(name)) fields.set(decodeHtml(name), decodeHtml(/value="([^"]*)"/.exec(f[1]!)?.[1] ?? ''));
    }
    forms.push({ action, method, fields });
  }
  return forms;
}

const linksIn = (html: string) => [...html.matchAll(/href="(\/[^"#]*)"/g)].map((m) => decodeHtml(m[1]!));

/** A path template as a pattern for concrete paths. */
const templateRe = (path: string) => new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/?]+').replace(/\*/g, '.*')}$`);

class Site {
  readonly forms: Form[] = [];
  readonly links = new Set<string>();
  note(html: string) {
    this.forms.push(...formsIn(html));
    for (const l of linksIn(html)) this.links.add(l);
  }
  /** A concrete path for a template (a link seen on a page), or the template with placeholders filled. */
  concrete(path: string, fill: (param: string) => string): string {
    const re = templateRe(path);
    const seen = [...this.links].map((l) => l.split('?')[0]!).find((l) => re.test(l));
    return seen ?? path.replace(/:([A-Za-z_]+)/g, (_m, p: string) => fill(p)).replace(/\*/g, 'x');
  }
  /** The fields of the form posting to a path (any form whose action matches the template). */
  formFor(path: string, method: string): Map<string, string> | undefined {
    const re = templateRe(path);
    return this.forms.find((f) => f.method === method && re.test(f.action.split('?')[0]!))?.fields;
  }
  queryKeys(path: string): string[] {
    const re = templateRe(path);
    const keys = new Set<string>();
    for (const l of this.links) {
      const [p, q] = l.split('?');
      if (q && re.test(p!)) for (const k of new URLSearchParams(q).keys()) keys.add(k);
    }
    for (const f of this.forms) if (f.method === 'GET' && re.test(f.action.split('?')[0]!)) for (const k of f.fields.keys()) keys.add(k);
    return [...keys];
  }
}

// ---- The corpus for one route in one context ----

const enc = encodeURIComponent;
const formBody = (fields: Map<string, string>, override: Record<string, string> = {}) =>
  [...fields].map(([k, v]) => `${enc(k)}=${k in override ? override[k] : enc(v)}`).concat(Object.entries(override).filter(([k]) => !fields.has(k)).map(([k, v]) => `${enc(k)}=${v}`)).join('&');

/** Fields a route's forms use, where no page offered the form (deletes, resets, logout). */
const GENERIC_FIELDS = ['id', 'name'];

/**
 * How hard a route is fuzzed. In full, every query key gets every value, each form field (up to three)
 * the core values and the first field all of them; light, for the doors a stranger cannot get past and
 * for the second listener's copies of the same code, a few of each kind.
 */
const BUDGET = {
  full: { params: PARAM_VALUES, query: ENCODED_VALUES, fields: 3, fieldValues: CORE_VALUES, firstField: ENCODED_VALUES, jsonFields: 1, headers: 8, bodies: true },
  light: { params: PARAM_VALUES.slice(0, 5), query: CORE_VALUES.slice(0, 4), fields: 1, fieldValues: CORE_VALUES.slice(0, 4), firstField: CORE_VALUES.slice(0, 4), jsonFields: 0, headers: 3, bodies: false },
};

function* requestsFor(route: RouteEntry, site: Site, ctx: Context, paramFill: (p: string) => string): Generator<[string, InjectOptions]> {
  const url = site.concrete(route.path, paramFill);
  const headers = (extra: Record<string, string> = {}) => ({ accept: ctx.accept, 'accept-language': 'ja', ...(ctx.cookie ? { cookie: ctx.cookie() } : {}), ...extra });
  const tag = `${ctx.name} ${route.method} ${route.path}`;
  const method = route.method;
  const budget = ctx.full(route) ? BUDGET.full : BUDGET.light;
  const base = site.formFor(route.path, method) ?? new Map(GENERIC_FIELDS.map((f) => [f, 'x']));
  const form = () => {
    const f = new Map(base);
    if (ctx.csrf) f.set('_csrf', ctx.csrf());
    return f;
  };
  const post = (what: string, payload: string | Buffer, type: string | undefined, u = url): [string, InjectOptions] =>
    [`${tag} ${what}`, { method, url: u, payload, headers: headers(type ? { 'content-type': type } : {}) }];
  const get = (what: string, u: string, extra: Record<string, string> = {}): [string, InjectOptions] => [`${tag} ${what}`, { method, url: u, headers: headers(extra) }];
  const FORM = 'application/x-www-form-urlencoded';
  /** A GET of the URL, or a POST of the page's form to it. */
  const at = (what: string, u: string) => (method === 'GET' ? get(what, u) : post(what, formBody(form()), FORM, u));

  // Path parameters.
  const params = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
  for (const p of params) {
    for (const v of budget.params) yield at(`:${p}=${v.slice(0, 20)}`, route.path.replace(/:([A-Za-z_]+)/g, (_m, q: string) => (q === p ? v : paramFill(q))));
  }
  if (route.path.includes('*')) for (const v of budget.params) yield get(`*=${v.slice(0, 20)}`, route.path.replace('*', v));

  // Query parameters (GET and POST alike: a form's action may carry ?lang=).
  const keys = [...new Set(['lang', ...site.queryKeys(route.path)])];
  // `lang` is one schema shared by every screen: a few values each; the route's own keys get them all.
  for (const k of keys) for (const v of k === 'lang' ? CORE_VALUES.slice(0, 4) : budget.query) yield at(`?${k}=${v.slice(0, 20)}`, `${url}?${enc(k)}=${v}`);
  const oddQueries = [`${keys[0]}=1&${keys[0]}=2`, deepKey(1000), Array.from({ length: 1000 }, (_, i) => `k${i}=${i}`).join('&'), '%00=1&&&=&==', `x=${'y'.repeat(60_000)}`];
  for (const q of budget.bodies && method === 'GET' ? oddQueries : oddQueries.slice(0, 2)) yield at(`?${q.slice(0, 20)}`, `${url}?${q}`);

  // Headers and cookies.
  const odd = [
    ['cookie', 'renkei_ib=a\u0000b; renkei_lang=%FF'], ['accept-language', '\u0000;q=x, *;q=-1'], ['content-type', 'application/json; charset=utf-7'],
    ['cookie', `renkei_ib=${'x'.repeat(8000)}`], ['cookie', '=; ;;; a'], ['cookie', 'renkei_lang=%00'], ['accept', '*/*;q=\u00ff'], ['x-forwarded-for', '%00, 999.999.999.999'],
  ] as const;
  // Inside a session, the cookie variants would only repeat the stranger's run: the other headers only.
  for (const [name, value] of ctx.cookie ? odd.filter(([n]) => n !== 'cookie').slice(0, 3) : odd.slice(0, budget.headers)) {
    yield [`${tag} header ${name}=${JSON.stringify(value.slice(0, 20))}`, { method, url, headers: { ...headers(), [name]: value }, ...(method === 'POST' ? { payload: formBody(form()) } : {}) }];
  }

  if (method !== 'POST') {
    yield get('plain', url);
    return;
  }
  // Form fields: each in turn gets the values; the rest keep what the page offered.
  const fields = [...form().keys()].filter((k) => k !== '_csrf').slice(0, budget.fields);
  for (const [i, k] of fields.entries()) {
    for (const v of i === 0 ? budget.firstField : budget.fieldValues) yield post(`${k}=${v.slice(0, 20)}`, formBody(form(), { [k]: v }), FORM);
    yield post(`${k} twice`, `${formBody(form(), { [k]: 'a' })}&${enc(k)}=b`, FORM);
  }
  // JSON: the values a form cannot carry.
  const asObject = () => Object.fromEntries(form());
  for (const k of fields.slice(0, budget.jsonFields)) for (const v of JSON_VALUES) yield post(`json ${k}=${JSON.stringify(v).slice(0, 20)}`, JSON.stringify({ ...asObject(), [k]: v }), 'application/json');
  yield post('json NUL key', `{"\\u0000":1,${JSON.stringify(asObject()).slice(1)}`, 'application/json');
  yield post('1 MB form', `${formBody(form())}&pad=${'a'.repeat(1024 * 1024)}`, FORM);
  yield post('plain', formBody(form()), FORM);
  if (!budget.bodies) return;
  yield post('json nested 1000', JSON.stringify({ ...asObject(), deep: nested(1000) }), 'application/json');
  yield post('json array body', JSON.stringify([asObject()]), 'application/json');
  yield post('json scalar body', '"\\u0000"', 'application/json');
  yield post('json broken', '{"a":', 'application/json');
  yield post('json invalid UTF-8', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('"}')]), 'application/json');
  yield post('1 MB json', JSON.stringify({ ...asObject(), pad: 'a'.repeat(1024 * 1024) }), 'application/json');
  // Bodies of the wrong kind.
  yield post('form invalid UTF-8 bytes', Buffer.concat([Buffer.from('name='), Buffer.from([0xff, 0xfe, 0x00])]), FORM);
  yield post('form charset utf-16', formBody(form()), `${FORM}; charset=utf-16`);
  yield post('text/plain', 'name=x', 'text/plain');
  yield post('xml', '<a>x</a>', 'application/xml');
  yield post('multipart', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\u0000\r\n--x--\r\n', 'multipart/form-data; boundary=x');
  yield post('no content type', 'name=x', undefined);
  yield post('empty form', '', FORM);
}

// Routes that end the session or the interaction run last, so the others are fuzzed inside one.
const ENDS_SESSION = /logout|abort|cancel/;
/** Screens only a session gets past (login and the mailed reset link are the doors themselves). */
const BEHIND_LOGIN = /^\/(ib\/(?!login|password-reset)|interaction\/)/;
const order = (routes: RouteEntry[]) => [...routes].sort((a, b) => Number(ENDS_SESSION.test(a.path)) - Number(ENDS_SESSION.test(b.path)));

const mainRoutes = routesOf(server.main);
const mtlsRoutes = routesOf(server.mtls);

t.test('the route list covers the application', async (t) => {
  t.ok(mainRoutes.length >= 50, `${mainRoutes.length} routes on the main listener`);
  t.ok(mtlsRoutes.length >= 10, `${mtlsRoutes.length} routes on the mutual-TLS listener`);
  for (const p of ['/ib/business-id/groups/new', '/interaction/:uid/pin', '/ib/audit', '/api/v1/accounts/transactions', '/demo/start', '/ib/password-reset/:token']) {
    t.ok(mainRoutes.some((r) => r.path === p), p);
  }
});

t.test('no malformed input gets a 5xx, a stall, or an error without a code', async (t) => {
  const anonSite = new Site();
  // A stranger is stopped at the door of the screens behind a login: those get the core values only.
  const anon: Context = { name: 'anon', accept: 'application/json', full: (r) => !BEHIND_LOGIN.test(r.path) };
  const anonFill = (p: string) => (p === 'uid' ? 'uid123' : '1');

  // Internet banking as the master user: pages crawled for their forms and links.
  const ib = new IbClient(server.main);
  t.equal((await ib.login('1000000001', 'Aozora2024')).statusCode, 303, 'logged in to internet banking');
  const ibSite = new Site();
  const ibGets = mainRoutes.filter((r) => r.method === 'GET' && r.path.startsWith('/ib') && !r.path.includes(':'));
  for (const r of ibGets) ibSite.note((await ib.get(r.path)).body);
  for (const l of [...ibSite.links].filter((l) => l.startsWith('/ib/') && !ENDS_SESSION.test(l)).slice(0, 80)) ibSite.note((await ib.get(l)).body);
  const ibCtx: Context = { name: 'ib', full: () => true, accept: 'text/html', cookie: () => [...ib.cookies].map(([k, v]) => `${k}=${v}`).join('; '), csrf: () => ib.csrf() };

  // The consent journey, standing on its login step.
  const tc = await insertTestClient(db);
  const { b } = await startJourney(server, tc);
  const uid = b.uid;
  const journeySite = new Site();
  journeySite.note(b.html);
  const journeyCtx: Context = {
    name: 'journey', accept: 'text/html', full: () => true,
    cookie: () => [...b.jar].map(([k, c]) => `${k}=${c.value}`).join('; '),
    csrf: () => b.csrf,
  };
  const journeyFill = (p: string) => (p === 'uid' ? uid : '1');

  /** A journey standing on a later step, whose own form is fuzzed with the step's cookies and token. */
  async function journeyAt(step: 'business' | 'pin' | 'consent'): Promise<[FastifyInstance, RouteEntry[], Site, Context, (p: string) => string]> {
    const client = await insertTestClient(db);
    const j = (await startJourney(server, client, { scope: step === 'pin' ? 'openid balances' : FULL_SCOPE })).b;
    await login(j, step === 'pin' ? USERS.user2 : USERS.user1);
    if (step === 'consent') await advanceToConsent(j);
    const title = { business: TITLES.business, pin: TITLES.pin, consent: TITLES.consent }[step];
    if (j.title !== title) throw new Error(`expected ${title}, got ${j.title}`);
    const site = new Site();
    site.note(j.html);
    const ctx: Context = {
      name: `journey-${step}`, accept: 'text/html', full: () => true,
      cookie: () => [...j.jar].map(([k, c]) => `${k}=${c.value}`).join('; '), csrf: () => j.csrf,
    };
    const ownUid = j.uid;
    return [server.main, mainRoutes.filter((r) => r.method === 'POST' && r.path.startsWith(`/interaction/:uid/${step}`)), site, ctx, (p) => (p === 'uid' ? ownUid : '1')];
  }

  const runs: [FastifyInstance, RouteEntry[], Site, Context, (p: string) => string][] = [
    [server.main, order(mainRoutes), anonSite, anon, anonFill],
    // The second listener serves the same routes' code, except its certificate login: that one in full.
    [server.mtls, order(mtlsRoutes), anonSite, { ...anon, full: (r) => r.path.includes('certificate') }, anonFill],
    [server.main, order(mainRoutes.filter((r) => r.path.startsWith('/ib'))), ibSite, ibCtx, (p) => (p === 'token' ? 'x'.repeat(43) : '1')],
    [server.main, order(mainRoutes.filter((r) => r.path.startsWith('/interaction'))), journeySite, journeyCtx, journeyFill],
    await journeyAt('business'),
    await journeyAt('pin'),
    await journeyAt('consent'),
  ];
  for (const [app, routes, site, ctx, fill] of runs) {
    for (const route of routes) {
      for (const [what, opts] of requestsFor(route, site, ctx, fill)) await send(app, `${app === server.mtls ? 'mtls ' : ''}${what}`, opts);
      // Keep the session for the next route: a fuzzed request may have ended it (a logout, a reset).
      if (ctx === ibCtx && (await ib.get('/ib/')).statusCode !== 200) await ib.login('1000000001', 'Aozora2024');
    }
  }
  // Paths no route has.
  for (const u of ['/%00', '/%FF', '/ib/%ED%A0%80', '//', '/..%2f..%2fetc%2fpasswd', `/${'x'.repeat(8000)}`, '/ib/accounts/%00/statements', '/api/v1/%00', '/assets/%00', '/assets/..%2f..%2fpackage.json']) {
    await send(server.main, `anon GET ${u.slice(0, 40)}`, { method: 'GET', url: u, headers: { accept: 'application/json' } });
  }

  const fives = tally.serverErrors;
  t.comment(`corpus: ${tally.size} requests over ${mainRoutes.length} + ${mtlsRoutes.length} routes; 5xx: ${fives.length}; statuses ${JSON.stringify(tally.histogram())}`);
  for (const name of ['anon', 'mtls', 'ib', 'journey', 'journey-business', 'journey-pin', 'journey-consent']) t.comment(`  ${name}: ${JSON.stringify(tally.histogram(`${name} `))}`);
  t.ok(tally.size >= 3000, `the corpus has ${tally.size} requests`);
  t.same(fives.map((v) => `${v.what}: ${v.problem}`), [], 'no 5xx');
  t.same(tally.verdicts.filter((v) => v.status === 'stalled' || v.status === 'failed').map((v) => `${v.what}: ${v.problem}`), [], 'every request was answered');
  t.same(tally.problems.filter((v) => typeof v.status === 'number' && v.status < 500).map((v) => `${v.what}: ${v.problem}`), [], 'every error answer has a machine-readable code');
});
