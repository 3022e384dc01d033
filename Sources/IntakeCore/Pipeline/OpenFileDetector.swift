import Foundation
import Glibc

/// Tells whether another process still has a file open for writing (an SFTP server in the
/// middle of an upload), so a file whose size merely paused is not claimed.
///
/// Linux: a read lease (`fcntl(F_SETLEASE, F_RDLCK)`) is refused with EAGAIN while anyone has
/// the file open for writing; it is taken and dropped at once. Where leases are not supported,
/// the fallback scans `/proc/*/fd` for a descriptor on the file opened for writing.
enum OpenFileDetector {
    static func isOpenForWriting(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let setLease: Int32 = 1024, readLease: Int32 = 0, unlock: Int32 = 2 // F_SETLEASE, F_RDLCK, F_UNLCK
        if fcntl(descriptor, setLease, readLease) == 0 {
            _ = fcntl(descriptor, setLease, unlock)
            return false
        }
        if errno == EAGAIN || errno == EBUSY { return true }
        return scanProc(path)
    }

    /// `/proc/PID/fd/N` links to the file and `/proc/PID/fdinfo/N` says it is open for writing.
    static func scanProc(_ path: String) -> Bool {
        for pid in FileSystem.list("/proc") where pid.allSatisfy(\.isNumber) {
            for fd in FileSystem.list("/proc/\(pid)/fd") {
                var target = [CChar](repeating: 0, count: 4096)
                let length = readlink("/proc/\(pid)/fd/\(fd)", &target, target.count - 1)
                guard length > 0 else { continue }
                let linked = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                guard linked == path else { continue }
                guard let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8),
                      let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
                      let flags = Int(flagsLine.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) else { continue }
                if flags & 3 != 0 { return true }
            }
        }
        return false
    }
}
