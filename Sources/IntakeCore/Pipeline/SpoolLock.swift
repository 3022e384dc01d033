import Glibc

/// One daemon per spool: an exclusive `flock` on `spool/.intake.lock`, held for the process's
/// life and released by the kernel when the process dies, however it dies.
final class SpoolLock {
    private let descriptor: Int32

    init(path: String) throws(FileSystemError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError(operation: "open lock", path: path, errorNumber: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(descriptor)
            throw FileSystemError(operation: "lock (another intake daemon is running on this spool)", path: path, errorNumber: error)
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
