/**
 * The natives of the embedding API's runtime module (vm/runtime/beamjs_host.erl):
 * a host call's outcome and a host mailbox's messages go to the BeamVM that
 * owns the process's VM (vm/api.ts), found through `hostOf`.
 */
import { ATOM_OK } from '../vm/term/atoms.js';
import type { Process } from '../vm/process.js';
import type { Term } from '../vm/term/tags.js';
import type { VM } from '../vm/vm.js';
import { defineBifs } from './registry.js';

/** What a host does with the terms its processes hand over (read them now: they live on the process heap). */
export interface Host {
  callResult(p: Process, outcome: Term): void;
  mailboxDeliver(p: Process, msg: Term): void;
}

const HOSTS = new WeakMap<VM, Host>();

export function setHost(vm: VM, host: Host | undefined): void {
  if (host === undefined) HOSTS.delete(vm);
  else HOSTS.set(vm, host);
}

defineBifs('beamjs_host', 'nif', {
  'result/1': (p, [outcome]) => {
    HOSTS.get(p.vm)?.callResult(p, outcome!);
    return ATOM_OK;
  },
  'deliver/1': (p, [msg]) => {
    HOSTS.get(p.vm)?.mailboxDeliver(p, msg!);
    return ATOM_OK;
  },
});
