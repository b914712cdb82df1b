import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

t.test('certificate settings: CA files together or not at all, validity days bounded', async (t) => {
  const base = { DATA_DIR: '/tmp/x' };
  const defaults = loadConfig(base);
  t.equal(defaults.ca, undefined, 'no files: the CA is generated and kept in the database');
  t.equal(defaults.certValidityDays, 365);
  t.equal(defaults.partnerCaFile, undefined);
  const set = loadConfig({ ...base, CA_CERT_FILE: '/etc/renkei/ca.pem', CA_KEY_FILE: '/etc/renkei/ca.key', CERT_VALIDITY_DAYS: '90', PARTNER_CA_FILE: '/etc/renkei/partners.pem' });
  t.same(set.ca, { certFile: '/etc/renkei/ca.pem', keyFile: '/etc/renkei/ca.key' });
  t.equal(set.certValidityDays, 90);
  t.equal(set.partnerCaFile, '/etc/renkei/partners.pem');
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return [];
    } catch (e) {
      return e instanceof ConfigError ? e.problems : [String(e)];
    }
  };
  t.match(problems({ CA_CERT_FILE: '/etc/renkei/ca.pem' }), [/^CA_CERT_FILE \/ CA_KEY_FILE: set both or neither/]);
  t.match(problems({ CA_KEY_FILE: '/etc/renkei/ca.key' }), [/^CA_CERT_FILE \/ CA_KEY_FILE/]);
  t.match(problems({ CERT_VALIDITY_DAYS: '0' }), [/^CERT_VALIDITY_DAYS/]);
});
