#ifndef INTAKE_CSYSTEMCALLS_H
#define INTAKE_CSYSTEMCALLS_H

/// syncfs(2), which Swift's Glibc module does not show (it is a GNU extension): flushes every
/// file of the filesystem that holds `descriptor`. Returns 0, or -1 with errno set.
int intake_syncfs(int descriptor);

#endif
