/**
 * Every group of native functions; importing this module fills the registry
 * (bifs/registry.ts). A new group file is added here.
 */
import './atomics.js';
import './beamjs_io.js';
import './beamjs_kernel.js';
import './code_loading.js';
import './binary.js';
import './direct_mode.js';
import './erlang_arith.js';
import './erlang_convert.js';
import './erlang_data.js';
import './erlang_etf.js';
import './erlang_gc.js';
import './erlang_hash.js';
import './erlang_misc.js';
import './erlang_process.js';
import './erlang_system.js';
import './host.js';
import './ets.js';
import './lists.js';
import './maps.js';
import './math.js';
import './persistent_term.js';
import './process_flags.js';
import './process_info.js';
import './unicode.js';
