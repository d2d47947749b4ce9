// The exported libpq wrappers. Plain ones: one relaxed load of the mode word
// and the real call when idle. Tracked ones (PQprepare, PQsendPrepare,
// PQreset, PQfinish) always go through pq_armed, which keeps the table of
// prepared statements: they are per-connection set-up calls, each a server
// round trip or a socket close, so the table's lock-free bookkeeping is
// noise beside them.
#include <atomic>

#include "faultline/shim/engine.h"
#include "pq_armed.h"
#include "pq_interpose_table.h"
#include "pq_real.h"

using namespace faultline::preload::pq_types;

#define FAULTLINE_DEFINE_PQ_PLAIN(ret, name, params, args)                                                   \
  extern "C" __attribute__((visibility("default"))) ret name params {                                        \
    if (__builtin_expect(faultline::shim::idle(faultline::shim::g_mode.load(std::memory_order_relaxed)), 1)) \
      return faultline::preload::pq_real::name args;                                                         \
    return faultline::preload::pq_armed::name args;                                                          \
  }
FAULTLINE_PQ_PLAIN(FAULTLINE_DEFINE_PQ_PLAIN)
#undef FAULTLINE_DEFINE_PQ_PLAIN

#define FAULTLINE_DEFINE_PQ_TRACKED(ret, name, params, args)          \
  extern "C" __attribute__((visibility("default"))) ret name params { \
    return faultline::preload::pq_armed::name args;                   \
  }
FAULTLINE_PQ_TRACKED(FAULTLINE_DEFINE_PQ_TRACKED)
#undef FAULTLINE_DEFINE_PQ_TRACKED
