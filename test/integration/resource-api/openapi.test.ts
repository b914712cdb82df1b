import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import t from 'tap';
import { apiSessionFor } from '../../helpers/api-session.ts';
import { dpopGet, rawGet } from '../../helpers/api-probe.ts';
import { startAuthServer } from '../../helpers/auth-server.ts';

// DESIGN §8: the OpenAPI 3 document at /api/v1/openapi.json and the browsable page at /api/docs.
t.setTimeout(180_000);

const server = await startAuthServer(t);
const docRes = await rawGet(server, '/api/v1/openapi.json');
type Json = Record<string, any>;
const doc = docRes.body as Json;
const PATHS = ['/api/v1/accounts', '/api/v1/accounts/balances', '/api/v1/accounts/transactions'];
const jsonSchemaOf = (path: string, status: string) => doc.paths[path].get.responses[status].content['application/json'].schema as Json;

/** Every `$ref` in a JSON value. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}
const resolve = (ref: string) => ref.replace(/^#\//, '').split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
  .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined), doc);

t.test('the document is served without authentication as JSON and is an OpenAPI 3 document', async (t) => {
  t.equal(docRes.status, 200);
  t.match(docRes.headers.get('content-type'), /^application\/json/);
  t.match(doc.openapi, /^3\.\d+\.\d+$/, 'an OpenAPI 3 version');
  t.type(doc.info?.title, 'string');
  t.type(doc.info?.version, 'string');
  t.ok(doc.servers.some((s: Json) => s.url === server.issuer), 'the main origin is a server');
  t.ok(doc.servers.some((s: Json) => s.url === server.mtlsUrl), 'the mutual-TLS origin is a server');
  const all = refs(doc);
  t.ok(all.length > 0);
  for (const ref of new Set(all)) t.ok(ref.startsWith('#/') && resolve(ref) !== undefined, `${ref} resolves inside the document`);
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      for (const [status, response] of Object.entries<Json>(op.responses)) t.type(response.description, 'string', `${method} ${path} ${status} has a description`);
    }
  }
});

t.test('the three paths are listed with their parameters and response schemas', async (t) => {
  // The 振込 operations (DESIGN §17) are checked in transfers-api.test.ts.
  const transferPaths = ['transferfee', 'request', 'request-result', 'status', 'cancel'].map((p) => `/api/v1/transfer/${p}`);
  t.same(Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/')).sort(), [...PATHS, ...transferPaths].sort(), 'exactly the API paths (the document itself is hidden)');
  for (const path of PATHS) {
    const op = doc.paths[path].get as Json;
    t.same(Object.keys(op.responses).sort(), ['200', '400', '401', '403', '404', '429', '503'], `${path}: the statuses of the error table`);
    for (const status of ['400', '401', '403', '404', '429', '503']) t.same(jsonSchemaOf(path, status), { $ref: '#/components/schemas/ErrorResponse' }, `${path} ${status}: ErrorResponse`);
  }
  t.same(jsonSchemaOf(PATHS[0]!, '200').required, ['accounts', 'baseDate', 'baseTime']);
  t.same(jsonSchemaOf(PATHS[0]!, '200').properties.accounts.items, { $ref: '#/components/schemas/Account' });
  t.same(jsonSchemaOf(PATHS[1]!, '200').properties.balances.items, { $ref: '#/components/schemas/Balance' });
  const tx = jsonSchemaOf(PATHS[2]!, '200');
  t.same(tx.properties.transactions.items, { $ref: '#/components/schemas/Transaction' });
  t.equal(tx.properties.hasNext.type, 'boolean', 'hasNext a boolean');
  t.equal(tx.properties.count.type, 'string', 'count a string');
  t.notOk(tx.required.includes('nextItemKey'), 'nextItemKey optional');
  const params = (doc.paths[PATHS[2]!].get.parameters as Json[]).map((p) => [p.name, p.in, p.required]);
  t.same(params, [['accountId', 'query', true], ['dateFrom', 'query', false], ['dateTo', 'query', false], ['nextItemKey', 'query', false]]);
  t.same((doc.paths[PATHS[1]!].get.parameters as Json[]).map((p) => [p.name, p.in, p.required]), [['accountId', 'query', false]]);
  const account = doc.components.schemas.Account as Json;
  for (const field of ['accountId', 'branchCode', 'branchName', 'accountTypeCode', 'accountTypeName', 'accountNumber', 'primaryAccountCode',
    'primaryAccountCodeName', 'accountName', 'accountNameKana', 'currencyCode', 'currencyName', 'transferLimitAmount']) {
    t.ok(field in account.properties, `Account.${field}`);
  }
});

t.test('the security schemes describe DPoP and mutual TLS', async (t) => {
  const schemes = doc.components.securitySchemes as Json;
  t.match(schemes.DPoP, { type: 'http', scheme: 'DPoP' });
  t.match(schemes.mtls, { type: 'mutualTLS' });
});

t.test('the security scheme types are ones the declared OpenAPI version defines', async (t) => {
  const allowed = /^3\.0\./.test(doc.openapi) ? ['apiKey', 'http', 'oauth2', 'openIdConnect'] : ['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect'];
  for (const [name, s] of Object.entries<Json>(doc.components.securitySchemes)) t.ok(allowed.includes(s.type), `${name}: ${s.type} in OpenAPI ${doc.openapi}`);
});

t.test('real answers validate against the documented schemas', async (t) => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const validatorFor = (path: string, status: string) =>
    ajv.getSchema(`openapi.json#/paths/${path.replaceAll('/', '~1')}/get/responses/${status}/content/application~1json/schema`)!;
  const master = await apiSessionFor(server, '1000000001', 'Aozora2024');
  const calls: [string, string][] = [
    ['/api/v1/accounts', '/api/v1/accounts'],
    ['/api/v1/accounts/balances', '/api/v1/accounts/balances'],
    ['/api/v1/accounts/transactions', '/api/v1/accounts/transactions?accountId=101011000088&dateFrom=2026-08-01&dateTo=2026-11-20'],
    ['/api/v1/accounts/balances', '/api/v1/accounts/balances?accountId=101511000995'],
    ['/api/v1/accounts/balances', '/api/v1/accounts/balances?accountId=101111000771'],
  ];
  for (const [path, url] of calls) {
    const res = await dpopGet(server, master, url);
    t.equal(res.status, 200, url);
    const validate = validatorFor(path, '200');
    t.ok(validate(res.body), `${url} matches its schema ${JSON.stringify(validate.errors?.slice(0, 3) ?? [])}`);
  }
  const refused = await rawGet(server, '/api/v1/accounts');
  const validate = validatorFor('/api/v1/accounts', '401');
  t.ok(validate(refused.body), `a 401 matches ErrorResponse ${JSON.stringify(validate.errors ?? [])}`);
  const fxStatement = await dpopGet(server, master, '/api/v1/accounts/transactions?accountId=101511000995&dateFrom=2026-08-01');
  t.equal(fxStatement.status, 400, 'statements of a USD account: 400 (GMO: 01/02 only)');
  t.ok(validatorFor('/api/v1/accounts/transactions', '400')(fxStatement.body), 'and it matches ErrorResponse');
});

t.test('the per-科目 rules are in the documented schemas: answers breaking them do not validate', async (t) => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const account = ajv.getSchema('openapi.json#/components/schemas/Account')!;
  const balance = ajv.getSchema('openapi.json#/components/schemas/Balance')!;
  const ordinary = { accountId: '101011000088', branchCode: '101', branchName: '法人営業部', accountTypeCode: '01', accountTypeName: '普通預金（有利息）', accountNumber: '1000088',
    primaryAccountCode: '1', primaryAccountCodeName: '代表口座', accountName: '青空商事株式会社', accountNameKana: 'ｱｵｿﾞﾗｼﾖｳｼﾞ(ｶ', currencyCode: 'JPY', currencyName: '日本円' };
  const fx = { accountId: '101511000995', accountTypeCode: '51', accountTypeName: '外貨普通預金', currencyCode: 'USD', currencyName: '米ドル' };
  t.ok(account(ordinary), 'an ordinary account with its fields');
  t.ok(account(fx), 'a USD account without them');
  t.notOk(account({ ...fx, branchCode: '101' }), 'a USD account with a branch code');
  t.notOk(account({ ...ordinary, branchCode: undefined }), 'an ordinary account without one');
  const base = { baseDate: '2026-11-20', baseTime: '12:00:00+09:00' };
  const yen = { accountId: '101011000088', accountTypeCode: '01', accountTypeName: '普通預金（有利息）', balance: '1', ...base, withdrawableAmount: '1', previousDayBalance: '1', previousMonthBalance: '1', currencyCode: 'JPY', currencyName: '日本円' };
  const usd = { ...fx, ...base, fcyTotalBalance: '350.48', ttb: '110.5', baseRateDate: '2026-11-20', baseRateTime: '10:00:00+09:00', yenEquivalent: '38728' };
  const time = { accountId: '101111000771', accountTypeCode: '11', accountTypeName: '円定期預金', balance: '1000000', ...base, currencyCode: 'JPY', currencyName: '日本円' };
  for (const [label, value] of Object.entries({ yen, usd, time, 'usd before any rate': { ...fx, ...base, fcyTotalBalance: '1.00' } })) t.ok(balance(value), label);
  const broken: Record<string, object> = {
    'a USD balance in yen': { ...usd, balance: '350' }, 'a USD balance without fcyTotalBalance': { ...usd, fcyTotalBalance: undefined },
    'a TTB without its date': { ...usd, baseRateDate: undefined }, 'a time deposit with withdrawableAmount': { ...time, withdrawableAmount: '0' },
    'a yen account with a TTB': { ...yen, ttb: '1' }, 'a yen account without previousDayBalance': { ...yen, previousDayBalance: undefined },
  };
  for (const [label, value] of Object.entries(broken)) t.notOk(balance(JSON.parse(JSON.stringify(value))), label);
});

t.test('/api/docs serves the browsable page from this origin only, under a Content-Security-Policy', async (t) => {
  const page = await rawGet(server, '/api/docs', { accept: 'text/html' });
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.text, /<div id="swagger-ui"><\/div>/);
  const csp = page.headers.get('content-security-policy') ?? '';
  t.match(csp, /default-src 'self'/, 'a CSP');
  t.match(csp, /script-src 'self'/);
  t.notMatch(csp, /https?:|\*|'unsafe-eval'/, 'no external sources, wildcards or eval');
  const urls = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  t.ok(urls.length > 3);
  t.same(urls.filter((u) => /^(?:[a-z]+:)?\/\//i.test(u)), [], 'every asset from this origin');
  for (const u of urls) {
    const asset = await rawGet(server, new URL(u, `${server.issuer}/api/docs`).toString());
    t.equal(asset.status, 200, `${u} is served`);
  }
  const init = await rawGet(server, '/api/docs/static/swagger-initializer.js');
  const code = init.text.replace(/\/\/.*$/gm, '');
  t.notMatch(code, /https?:\/\//, 'the initializer loads nothing from outside (comments aside)');
  t.match(code, /resolveUrl\('\.\/json'\)/, 'the spec comes from this origin');
  t.match((await rawGet(server, '/api/docs/json')).body, { openapi: doc.openapi, paths: Object });
});

t.test('the document is a valid OpenAPI document (JSON Schema of the OpenAPI specification)', async (t) => {
  const validator = new Validator();
  const res = await validator.validate(structuredClone(doc));
  t.ok(res.valid, `valid ${doc.openapi}: ${JSON.stringify(res.errors ?? []).slice(0, 2000)}`);
});

t.test('each operation names the scopes it needs (DESIGN §7), with DPoP or mutual TLS', async (t) => {
  const expected: Record<string, string[]> = { '/api/v1/accounts': ['balances', 'transactions'], '/api/v1/accounts/balances': ['balances'], '/api/v1/accounts/transactions': ['transactions'] };
  for (const path of PATHS) {
    const security = doc.paths[path].get.security as Record<string, string[]>[];
    const want = ['DPoP', 'mtls'].flatMap((binding) => expected[path]!.map((scope) => ({ oidc: [scope], [binding]: [] })));
    t.same(security, want, `${path}: any of ${expected[path]!.join(', ')}, DPoP-bound or over mutual TLS`);
  }
  t.match(doc.components.securitySchemes.oidc, { type: 'openIdConnect', openIdConnectUrl: `${server.issuer}/.well-known/openid-configuration` });
  const discovery = (await (await server.fetch(doc.components.securitySchemes.oidc.openIdConnectUrl)).json()) as { scopes_supported: string[] };
  for (const scope of Object.values(expected).flat()) t.ok(discovery.scopes_supported.includes(scope), `${scope} is listed by the discovery document the scheme points to`);
  const answer = await dpopGet(server, await apiSessionFor(server, '2000000001', 'Hanako2024', { scopes: ['balances'] }), '/api/v1/accounts/transactions?accountId=201011000011');
  t.equal(answer.status, 403, 'and the API enforces them: balances alone cannot read statements');
});

t.test('every operation, parameter and response is described; none is "Default Response"', async (t) => {
  for (const path of PATHS) {
    const op = doc.paths[path].get as Json;
    t.type(op.summary, 'string');
    t.ok(typeof op.description === 'string' && op.description.length > 20, `${path}: a description`);
    for (const p of (op.parameters ?? []) as Json[]) t.ok(typeof p.description === 'string' && p.description.length > 5, `${path} ${p.name}: described`);
    for (const [status, response] of Object.entries<Json>(op.responses)) {
      t.not(response.description, 'Default Response', `${path} ${status}: ${response.description}`);
      t.ok(response.headers?.['x-request-id'], `${path} ${status}: X-Request-Id declared`);
    }
    t.ok(op.responses['401'].headers['www-authenticate'], `${path}: 401 declares WWW-Authenticate`);
    for (const status of ['429', '503']) t.ok(op.responses[status].headers['retry-after'], `${path}: ${status} declares Retry-After`);
  }
});

/** Every example in the document with the schema it illustrates, and where it is. */
function examplesIn(node: unknown, where: string, out: { where: string; schema: unknown; value: unknown }[] = []) {
  if (Array.isArray(node)) node.forEach((v, i) => examplesIn(v, `${where}/${i}`, out));
  else if (node && typeof node === 'object') {
    const n = node as Json;
    // A Media Type or Parameter Object: `example` / `examples` illustrate its `schema`.
    if (n.schema && 'example' in n) out.push({ where: `${where} example`, schema: n.schema, value: n.example });
    if (n.schema && n.examples && !Array.isArray(n.examples)) {
      for (const [name, ex] of Object.entries<Json>(n.examples)) out.push({ where: `${where} examples.${name}`, schema: n.schema, value: ex.value });
    }
    // A Schema Object: its JSON Schema `examples` illustrate the schema itself.
    if (Array.isArray(n.examples) && (n.type || n.pattern || n.$ref)) {
      const { examples, ...schema } = n;
      for (const value of examples as unknown[]) out.push({ where: `${where} examples[]`, schema, value });
    }
    if ('example' in n && !n.schema && (n.type || n.$ref)) out.push({ where: `${where} example`, schema: { ...n, example: undefined }, value: n.example });
    for (const [k, v] of Object.entries(n)) if (k !== 'examples' && k !== 'example') examplesIn(v, `${where}/${k}`, out);
  }
  return out;
}

t.test('every example in the document is a valid value of its schema', async (t) => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const examples = examplesIn(doc.paths, '#/paths').concat(examplesIn(doc.components.schemas, '#/components/schemas'));
  t.ok(examples.length > 40, `${examples.length} examples`);
  const seen = new Set<string>();
  for (const { where, schema, value } of examples) {
    // Local references resolve inside the document registered above.
    const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"openapi.json#/'));
    const validate = ajv.compile(rebased);
    t.ok(validate(value), `${where}: ${JSON.stringify(value).slice(0, 80)} ${JSON.stringify(validate.errors?.slice(0, 2) ?? [])}`);
    seen.add(where.split(' ')[0]!.split('/').slice(0, 4).join('/'));
  }
  for (const path of PATHS) {
    for (const status of ['200', '400', '401', '403', '404', '429', '503']) {
      const media = doc.paths[path].get.responses[status].content['application/json'] as Json;
      t.ok('example' in media || media.examples, `${path} ${status}: an example answer`);
    }
  }
  t.ok(seen.size > 0);
});

t.test('every string field with a pattern carries a valid example, so no tool has to make one up', async (t) => {
  const patterned: string[] = [];
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${where}/${i}`));
    else if (node && typeof node === 'object') {
      const n = node as Json;
      if (typeof n.pattern === 'string') {
        patterned.push(where);
        t.ok(Array.isArray(n.examples) && n.examples.every((e: unknown) => typeof e === 'string' && new RegExp(n.pattern, 'u').test(e)), `${where}: ${JSON.stringify(n.examples)}`);
      }
      for (const [k, v] of Object.entries(n)) walk(v, `${where}/${k}`);
    }
  };
  walk(doc.components.schemas, '#/components/schemas');
  walk(doc.paths, '#/paths');
  t.ok(patterned.length > 10, `${patterned.length} patterned fields`);
  const time = new RegExp(doc.components.schemas.Balance.properties.baseTime.pattern as string);
  t.notOk(time.test('73:33:62+09:00'), 'a 基準時刻 is a time of day');
  t.ok(time.test('23:59:59+09:00'));
});
