#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call. Turning memory statistics off removes a
// global mutex from every allocation SQLite makes; it must run before the first connection opens.
static inline int intake_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#include <stdint.h>
#include <unistd.h>

// SQLite's own busy timeout sleeps 1, 2, 5, 10, 15, 20, 25 ... ms between tries, so a writer
// that waits for a commit of half a millisecond often sleeps ten. This handler retries after
// 50 us, doubling to at most 2 ms, until `timeout_ms` (passed as the context) has gone by.
static int intake_sqlite3_busy_handler(void *context, int count) {
    long timeout_us = (long)(intptr_t)context * 1000L;
    long waited_us = count < 6 ? 50L * ((1L << count) - 1) : 3150L + (long)(count - 6) * 2000L;
    if (waited_us >= timeout_us) return 0;
    usleep(count < 6 ? (useconds_t)(50L << count) : 2000);
    return 1;
}

static inline int intake_sqlite3_set_busy_handler(sqlite3 *db, int timeout_ms) {
    return sqlite3_busy_handler(db, intake_sqlite3_busy_handler, (void *)(intptr_t)timeout_ms);
}
