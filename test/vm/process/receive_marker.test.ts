/**
 * The receive-marker optimisation (OTP 24's recv_marker_* instructions): a
 * call that waits for a reply carrying a fresh reference scans only the
 * messages that arrived after the reference was made, however long the
 * caller's queue is. The program (receive_marker.erl) queues 10,000 unrelated
 * messages and then makes 1,000 calls; its output must be erl's, and the
 * number of messages receive looked at must stay near the number of calls
 * (without markers it would be 10,000 per call).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VM } from '../../../vm/vm.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('receive markers', () => {
  it('a call from a process with 10,000 queued messages scans only the new ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamjs-marker-'));
    execFileSync('erlc', ['-o', dir, join(here, 'receive_marker.erl')]);
    const expected = execFileSync('erl', ['-noshell', '-pa', dir, '-run', 'receive_marker', 'start', '-run', 'init', 'stop']).toString();
    const chunks: Uint8Array[] = [];
    const vm = new VM({ codePath: [dir], stdout: (b) => chunks.push(b.slice()) });
    const { status } = vm.runMain('receive_marker', 'start', []);
    expect(Buffer.concat(chunks).toString()).toBe(expected);
    expect(status).toBe(0);
    // 1,000 replies, 1,000 requests seen by the server, 10,000 junk messages drained at the end,
    // plus the I/O server's traffic: far below the 10,000,000 a scan from the head would cost.
    expect(vm.receiveScans).toBeLessThan(20_000);
  });
});
