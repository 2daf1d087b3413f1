import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ALERTS_DIR, renderAlertFiles } from './render.ts';

// `npm run alerts`: writes alerts/bursar-rules.yml and alerts/bursar-rules.test.yml.
for (const [name, text] of await renderAlertFiles()) {
  writeFileSync(path.join(ALERTS_DIR, name), text);
  console.log(`wrote alerts/${name}`);
}
