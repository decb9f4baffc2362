/**
 * The fixed layout of the VM's shared memory: every word offset that more
 * than one module (or thread) relies on is named here, once. Offsets are
 * word indices into the Int32Array view of the one SharedArrayBuffer.
 *
 *   word 0 .. HEADER_WORDS-1   this header (sizes, locks, table roots)
 *   HEADER_WORDS ..            blocks handed out by the allocator (vm/memory.ts)
 */

export const LAYOUT_MAGIC = 0x4245414d; // 'BEAM'
export const LAYOUT_VERSION = 1;

export const enum Slot {
  Magic = 0,
  Version = 1,
  /** Current byte length of the buffer; threads rebuild their views when it changes. */
  ByteSize = 2,
  /** Next word never handed out by the allocator. */
  BumpTop = 3,
  /** Allocator mutex (0 free, 1 held, 2 held with waiters). */
  AllocLock = 4,
  /** Words currently handed out (statistics). */
  AllocatedWords = 5,
  /** Head of the free list of blocks larger than the largest size class. */
  LargeFreeList = 6,
  /** Heads of the size-class free lists: FreeLists + class. */
  FreeLists = 8,

  /** Atom table: number of atoms. */
  AtomCount = 40,
  /** Atom table insertion mutex. */
  AtomLock = 41,
  /** Word index of the atom entry array (ATOM_ENTRY_WORDS per atom). */
  AtomEntries = 42,
  /** Word index of the atom hash index (open addressing, atom index + 1 per slot, 0 = empty). */
  AtomIndex = 43,
  /** Number of slots in the atom hash index (a power of two). */
  AtomIndexSize = 44,
  /** Maximum number of atoms. */
  AtomLimit = 45,

  /** ETS: word index of the table registry (vm/ets/table.ts), 0 until the first table. */
  EtsRegistry = 46,
  /** ETS: mutex guarding the registry's creation. */
  EtsInitLock = 47,
  /** persistent_term: word index of its hash index (bifs/persistent_term.ts), 0 until first use. */
  PersistentTerm = 48,
  /** persistent_term: mutex of the index. */
  PersistentTermLock = 49,
  /** atomics/counters: next unique id for their references. */
  AtomicsSerial = 50,
  /** The most words ever handed out at once (statistics: peak memory). */
  PeakAllocatedWords = 51,

  // Code shared by every thread (vm/code/code_table.ts, vm/jit.ts): 52..69.
  /** Module registry mutex: loading, reloading and deleting a module (taken before ExportLock and AllocLock). */
  CodeLock = 52,
  /** Export table insertion mutex. */
  ExportLock = 53,
  /** Word index of the export entries (EXPORT_ENTRY_WORDS each). */
  ExportEntries = 54,
  /** Number of export entries. */
  ExportCount = 55,
  /** Word index of the export hash index (entry + 1 per slot, 0 = empty). */
  ExportIndex = 56,
  /** Slots of the export hash index (a power of two). */
  ExportIndexSize = 57,
  /** Word index of the VM's stub block: the process exit stub, then a 2-word body per BIF. */
  BifStubs = 58,
  /** BIF_TABLE entries the stub block was made for. */
  BifStubCount = 59,
  /** Word index of the module registry's index (module record address per slot, 0 = empty). */
  ModuleIndex = 60,
  /** Slots of the module index (a power of two). */
  ModuleIndexSize = 61,
  /** Bumped after every change of a module's current or old code: threads revalidate their caches. */
  CodeGeneration = 62,
  /** Word index of the catch table (handler code address per catch index). */
  CatchTable = 63,
  /** Catch indices handed out. */
  CatchCount = 64,
  /** Word index of the JIT table (per JIT index: address of its record, vm/jit.ts). */
  JitTable = 65,
  /** JIT indices handed out. */
  JitCount = 66,
  /** JIT mutex: compiling a function and publishing its entries. */
  JitLock = 67,

  // Reserved ranges for the SMP work (issue 6), so parallel branches never collide:
  //   52..69   code sharing (above)
  //   70..89   process registries and signals (process table, registered names, aliases, timers)
  /** The last pid number handed out (Atomics.add: unique across threads; 0 in a fresh memory). */
  PidCounter = 70,
  /** The last reference id handed out (make_ref, monitors, aliases, timers). */
  RefCounter = 71,
  /** Process table (vm/registry.ts ProcessTable): word index of its chunk directory, 0 until the first spawn. */
  ProcessTable = 72,
  /** Registered names, atom -> pid (vm/registry.ts SharedMap): table and mutex. */
  Names = 73,
  NamesLock = 74,
  /** Aliases, reference id -> owner pid and mode. */
  Aliases = 75,
  AliasesLock = 76,
  /** erlang timers, reference id -> message block, destination, kind and deadline. */
  Timers = 77,
  TimersLock = 78,
  //   90..109  schedulers (per-scheduler run queues, idle mask, parking words)
  //   110..127 process state and migration

  /** Schedulers (scheduler/schedulers.ts): how many there are (run queues), 0 until formatted. */
  Schedulers = 90,
  /** Schedulers: word index of the scheduler records (Sched.Words each). */
  SchedulerTable = 91,
  /** Schedulers: word index of the idle mask (one bit per scheduler, 32 per word). */
  IdleMask = 92,
  /** Schedulers: how many are idle (looking for work or parked); lets a busy one skip the mask. */
  IdleCount = 93,
  /** Schedulers: processes alive (spawned and not yet exited); the last exit stops the schedulers. */
  LiveProcesses = 94,
  /** Schedulers: 0 while running; 1 stop (all processes gone); 2 halt (status in HaltStatus); 3 while a stop is published. */
  Stop = 95,
  /** Schedulers: the erlang:halt/1 status when Stop is 2. */
  HaltStatus = 96,
  /** Schedulers: schedulers online (system_info(schedulers_online)). */
  SchedulersOnline = 97,
  /** Schedulers: word index of the Float64 statistics (scheduler/schedulers.ts, 8-byte aligned). */
  SchedulerTimes = 98,
  /** Schedulers: enables of erlang:system_flag(scheduler_wall_time, true) still in force. */
  WallTimeEnables = 99,
  /** Schedulers: microseconds an idle scheduler spins looking for work before it parks. */
  SpinMicros = 100,

  /** The entry process of `beamjs run` (a pid), so whichever scheduler runs it knows it (vm/vm.ts). */
  MainPid = 110,
  /** 0 while the entry process lives; 1 when it returned, 2 when it ended otherwise (waited on by the main thread). */
  MainStatus = 111,
  /** erlang:system_flag(system_logger): where crash reports of processes go (an atom or a pid). */
  SystemLogger = 112,
  /** Word index of the system-wide GC settings and statistics (gc/policy.ts GcState). */
  GcState = 113,
  /** The reclamation epoch: bumped each time a process's control block is retired (Schedulers.retire). */
  ReclaimEpoch = 114,
}

export const HEADER_WORDS = 128;
/**
 * Size classes of the allocator, in words: powers of two up to 128 (small
 * objects, message blocks, control blocks), then the real VM's heap-size
 * sequence (233, 376, 610, ...: each the sum of the two before), so that a
 * process heap of a standard size takes exactly its size and no more. Their
 * free lists sit at Slot.FreeLists + class.
 */
export const SIZE_CLASS_WORDS: readonly number[] = (() => {
  const sizes = [4, 8, 16, 32, 64, 128];
  let a = 233;
  let b = 376;
  while (sizes.length < 32) {
    sizes.push(a);
    [a, b] = [b, a + b];
  }
  return sizes;
})();
export const SIZE_CLASSES = SIZE_CLASS_WORDS.length; // 32: up to 39,088,169 words (149 MiB)

/** Words per atom entry: name block (word index), UTF-8 byte length, character count, hash. */
export const ATOM_ENTRY_WORDS = 4;

/**
 * A process's shared control words (the part of its control block other
 * threads touch): word offsets from the block's first word. The queue
 * fields hold *slot addresses*: the word index of a word that holds a
 * message block address (the QueueHead word itself, or a block's next word),
 * so unlinking the message at the save point and appending at the tail are
 * both O(1).
 *
 *   Status       ProcessStatus; changed with Atomics (Waiting -> Runnable by a sender wakes it once)
 *   Inbox        head of the outer signal queue: a stack of message blocks pushed with compareExchange
 *   QueueHead    first message of the inner (private) queue, 0 when empty
 *   QueueTail    slot where the next message is linked
 *   Save         slot of the message receive looks at next
 *   QueueLen     messages in the inner queue
 *   Marker0/1    receive markers: a slot (0 = unused) and the reference id bound to it
 *   RunNext      next process in the run queue this one sits in
 *   Priority     0 max, 1 high, 2 normal, 3 low
 *   Queued       0 when in no run queue, else 1 + the priority whose length counter it is counted in
 *   Owner        index of the scheduler the process belongs to: only that thread runs it (a wake
 *                enqueues it on that scheduler's queue from any thread)
 *   ScheduleCount a low-priority process's turns to skip at the head of the normal queue
 *   State        the process's private state saved for another scheduler (vm/process_state.ts), or 0
 *   Name         registered name or 0
 */
export const enum Pcb {
  Status = 0,
  Pid = 1,
  Inbox = 2,
  QueueHead = 3,
  QueueTail = 4,
  Save = 5,
  QueueLen = 6,
  Marker0Slot = 7,
  Marker0Ref = 8,
  Marker1Slot = 9,
  Marker1Ref = 10,
  NextMarker = 11,
  RunNext = 12,
  Priority = 13,
  /** Nonzero while the process sits in a run queue (so resuming a suspended process never queues it twice). */
  Queued = 14,
  Owner = 15,
  ScheduleCount = 16,
  /** A process's private state saved for another scheduler to take over (vm/process_state.ts), 0 when its owner holds it. */
  State = 17,
  /** Its registered name (an atom), 0 when none (written under the names' mutex). */
  Name = 18,
  Words = 19,
}

/**
 * A message block: the header words, then the message term's own words
 * (copied by the sender, so no thread writes into another's heap). Once
 * received, the block becomes one of the receiver's heap fragments.
 *   Next     next message in the queue (or in the inbox stack)
 *   Term     the message
 *   OffHeap  the message's ProcBins, linked like a heap's (spliced into the receiver's list on receipt)
 */
export const enum Msg {
  Next = 0,
  Term = 1,
  OffHeap = 2,
  Data = 3,
}

/**
 * A signal is a message block whose Term word is a kind (primary tag 00,
 * which no message term has), so the owner tells signals from messages
 * with one test as it moves its inbox (vm/mailbox.ts fetchInbox). Its data
 * words: the sender's pid, a number (a monitor's reference id), a term
 * (0 when none), then that term's own words.
 */
export const enum Sig {
  From = Msg.Data,
  Aux = Msg.Data + 1,
  Payload = Msg.Data + 2,
  /** Header words of a signal (its payload's words follow). */
  Words = 3,
}

/** Signal kinds, as the Msg.Term word of a signal block holds them. */
export const enum SigKind {
  /** From linked itself to the target. */
  Link = 1 << 2,
  Unlink = 2 << 2,
  /** exit/2: payload {'EXIT', From, Reason}. */
  Exit = 3 << 2,
  /** From ended and was linked to the target (or answers a link to a dead process): payload {'EXIT', From, Reason}. */
  LinkExit = 4 << 2,
  /** From monitors the target: Aux the reference id, payload the name monitored (an atom) or 0. */
  Monitor = 5 << 2,
  Demonitor = 6 << 2,
  /** A monitored process ended: payload the 'DOWN' message, Aux its reference id. */
  Down = 7 << 2,
  /** group_leader/2: payload the new group leader. */
  GroupLeader = 8 << 2,
  Suspend = 9 << 2,
  Resume = 10 << 2,
  /** A reply reached the target's reply_demonitor alias (Aux its id): the target drops that monitor. */
  AliasReply = 11 << 2,
  /** process_info asked by From about a process of another thread: Aux the request id, payload the item(s) (0: process_info/1). */
  InfoRequest = 12 << 2,
  /** The answer: Aux the request id, payload the result (0: badarg). */
  InfoReply = 13 << 2,
  /** garbage_collect(Pid) from From: Aux 1 for a major collection, payload the request id to answer with. */
  GcRequest = 14 << 2,
}

/**
 * A run queue: the lists of max, high and normal (low processes share the
 * normal list, as in the real VM), each [head, tail] of PCB addresses linked
 * by Pcb.RunNext, and one length counter per priority (max, high, normal, low).
 */
export const enum RunQ {
  Lock = 0,
  /** [head, tail] per list: max, high, normal (+ low). */
  Lists = 1,
  /** Processes queued per priority: max, high, normal, low. */
  Lengths = 7,
  Words = 11,
}

/**
 * One scheduler's record (scheduler/schedulers.ts), Sched.Words words:
 *   RunQueue  its run queue (RunQ.Words words)
 *   Sleep     the parking word: 1 while it sleeps or is about to (Atomics.wait on it), else 0
 *   Running   1 while it runs a slice (statistics active_tasks)
 *   Slices    slices run
 *   GivenAway processes it handed to another scheduler (migrate at a slice boundary)
 *   Taken     processes it received from another (handed over or stolen)
 *   Stolen    processes it stole from another's queue
 *   Parks     times it went to sleep (Atomics.wait)
 */
export const enum Sched {
  RunQueue = 0,
  Sleep = 11,
  Running = 12,
  Slices = 13,
  GivenAway = 14,
  Taken = 15,
  Stolen = 16,
  Parks = 17,
  /** 1 from before the scheduler looks at its queue until it finds it empty: a process it took is never unseen (Schedulers.allIdle). */
  Busy = 18,
  /** The reclamation epoch this scheduler saw at the start of its current loop turn (Schedulers.observe). */
  SeenEpoch = 19,
  Words = 20,
}
