/** erlang:halt/0,1,2: thrown through the interpreter up to the host, which stops the VM with this status. */
export class Halt extends Error {
  constructor(readonly status: number | string) {
    super(`halt(${status})`);
    this.name = 'Halt';
  }
}
