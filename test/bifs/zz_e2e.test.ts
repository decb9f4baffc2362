import { it } from 'vitest';
import { VM } from '../../vm/vm.js';
import fs from 'node:fs';
it('e2e', () => {
  const chunks: Uint8Array[] = [];
  const vm = new VM({ codePath: ['/tmp/mt/e2e'], stdout: (b) => chunks.push(b.slice()) });
  const r = vm.runMain('e2e', 'start', []);
  fs.writeFileSync('/tmp/mt/e2e/beamjs.out', Buffer.concat(chunks));
  fs.writeFileSync('/tmp/mt/e2e/status', JSON.stringify(r));
}, 60000);
