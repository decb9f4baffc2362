import { VM } from '../vm/vm.js';
const [dir, mod] = process.argv.slice(2);
const vm = new VM({ codePath: [dir!], stdout: (b: Uint8Array) => process.stdout.write(b) });
const r = vm.runMain(mod!, 'start', []);
console.log('\nstatus', r.status);
