#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call. Turning memory statistics off removes a
// global mutex from every allocation SQLite makes; it must run before the first connection opens.
static inline int intake_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
