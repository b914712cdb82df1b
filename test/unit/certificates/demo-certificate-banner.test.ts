import t from 'tap';
import { loadConfig } from '../../../src/config/load-config.ts';
import { formatDemoCredentials } from '../../../src/db/seed/demo-data.ts';
import { startupBanner } from '../../../src/startup-banner.ts';

t.test('the banner names the certificate customer, where its .pfx is and its 鍵保護パスワード (DESIGN §9)', async (t) => {
  const config = loadConfig({});
  const file = '/srv/renkei/data/demo-certificates/3000000001.pfx';
  const text = startupBanner({
    config, database: 'pglite', tlsSource: 'generated', readyMs: 1,
    demoCredentials: formatDemoCredentials({ certificateFile: file, publicUrl: config.publicUrl }),
  });
  for (const s of ['3000000001', 'Midori2024', 'Midoritx2024', '4417', file, 'MidoriKey2024', 'https://localhost:8443/ib/login', '電子証明書ログイン']) {
    t.match(text, s, `shows ${s}`);
  }
  t.notMatch(formatDemoCredentials().join('\n'), 'MidoriKey2024', 'no certificate line when no file was written');
});
