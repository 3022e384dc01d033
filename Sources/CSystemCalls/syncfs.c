// Linux system calls that need _GNU_SOURCE, behind plain C functions.
#define _GNU_SOURCE
#include <unistd.h>
#include "CSystemCalls.h"

int intake_syncfs(int descriptor) {
    return syncfs(descriptor);
}
