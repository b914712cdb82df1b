import t from 'tap';
import { loadConfig } from '../../src/config/load-config.ts';
import { formatDemoCredentials } from '../../src/db/seed/demo-data.ts';
import { startupBanner } from '../../src/startup-banner.ts';

t.test('the banner gives the URLs and, for the demo, every credential of DESIGN §9', async (t) => {
  const config = loadConfig({});
  const text = startupBanner({ config, database: 'pglite', tlsSource: 'generated', readyMs: 1234, demoCredentials: formatDemoCredentials() });
  t.match(text, 'https://localhost:8443/');
  t.match(text, 'https://localhost:8444/');
  t.match(text, 'embedded PGlite');
  for (const s of ['1000000001', 'Aozora2024', 'Torihiki2024', '1000000002', 'User1pass2024', 'User1tx2024', '1000000003', 'User2pass2024',
    'User2tx2024', '1000000004', 'User3pass2024', 'User3tx2024', '2000000001', 'Hanako2024', 'Hanakotx2024', '7392', '5816', '6043', '3178', '2580']) {
    t.match(text, s, `shows ${s}`);
  }
  const prod = startupBanner({ config, database: 'postgres', tlsSource: 'configured', readyMs: 1 });
  t.notMatch(prod, 'Aozora2024', 'no demo credentials without demo data');
  t.match(prod, 'PostgreSQL');
});
