// The thread calls libfaultline.so interposes, declared once like
// interpose_table.h. Not gated by the mode word and not faulted: they only
// tell the shim that the host is about to have a thread of its own (or to
// cancel one), the moment the direct calls (direct_calls.h) must give way
// to libc's cancellable ones (thread_hooks.cpp). C11 thrd_create is here
// because glibc's calls its pthread_create internally, past any interposer.
#pragma once

#include <pthread.h>
#include <threads.h>

#define FAULTLINE_INTERPOSED_THREADS(X)                                                       \
  X(int, pthread_create,                                                                      \
    (pthread_t * thread, const pthread_attr_t* attr, void* (*start)(void*), void* start_arg), \
    (thread, attr, start, start_arg))                                                         \
  X(int, pthread_cancel, (pthread_t thread), (thread))                                        \
  X(int, thrd_create, (thrd_t * thread, thrd_start_t start, void* start_arg), (thread, start, start_arg))

// pthread_exit does not return, so it is written by hand (thread_hooks.cpp)
// rather than expanded into the real_symbols.h machinery; listed here with
// the others it belongs with. See host_exit_watch.h.
#define FAULTLINE_INTERPOSED_THREAD_EXIT(X) X(void, pthread_exit, (void* retval), (retval))
