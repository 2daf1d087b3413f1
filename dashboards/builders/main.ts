import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderDashboards } from './index.ts';

// `npm run dashboards`: writes the Grafana dashboard JSON files into dashboards/.
const dir = path.resolve(import.meta.dirname, '..');
for (const [file, json] of renderDashboards()) {
  writeFileSync(path.join(dir, file), json);
  console.log(`wrote dashboards/${file}`);
}
