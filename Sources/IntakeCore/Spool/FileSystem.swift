import Foundation
import Glibc
internal import CSystemCalls

/// A file-system call that failed, with the path and the system's reason.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let path: String
    public let errorNumber: Int32
    public var description: String { "\(operation) \(path): \(String(cString: strerror(errorNumber)))" }
    /// ENOSPC or EDQUOT: worth retrying once space returns.
    public var isDiskFull: Bool { errorNumber == ENOSPC || errorNumber == EDQUOT }
}

/// The few POSIX calls the spool needs, with errors that say what failed.
public enum FileSystem {
    public struct Status: Sendable, Equatable {
        public let size: Int64
        public let modifiedNanoseconds: Int64
        public let isRegularFile: Bool
        public let isDirectory: Bool
    }

    public static func status(_ path: String) -> Status? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & S_IFMT
        return Status(size: Int64(info.st_size),
                      modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                      isRegularFile: mode == S_IFREG, isDirectory: mode == S_IFDIR)
    }

    public static func exists(_ path: String) -> Bool { status(path) != nil }

    /// Names in a folder (not `.` and `..`); empty if the folder is missing.
    public static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Creates the folder and any missing parents. The folder itself is tried first: it
    /// usually exists or only lacks its last component, so that is one call, not one per
    /// component of the path.
    public static func makeDirectory(_ path: String) throws(FileSystemError) {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw FileSystemError(operation: "mkdir", path: path, errorNumber: errno) }
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw FileSystemError(operation: "mkdir", path: current, errorNumber: errno)
            }
        }
    }

    /// Renames atomically and makes the rename durable (fsync of the target folder).
    public static func rename(_ source: String, to target: String, syncingFolder: Bool = true) throws(FileSystemError) {
        guard Glibc.rename(source, target) == 0 else {
            throw FileSystemError(operation: "rename to \(target) from", path: source, errorNumber: errno)
        }
        if syncingFolder { syncDirectory(of: target) }
    }

    /// Flushes every file of the filesystem that holds `path` to disk (`syncfs`): one flush for
    /// many files written together, where an `fsync` each would flush the disk once per file.
    public static func syncFilesystem(containing path: String) throws(FileSystemError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(operation: "open", path: path, errorNumber: errno) }
        defer { close(descriptor) }
        guard intake_syncfs(descriptor) == 0 else { throw FileSystemError(operation: "syncfs", path: path, errorNumber: errno) }
    }

    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Removes a folder and what is in it (the job's work folder once it is delivered).
    public static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    public static func syncDirectory(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// Copies a file through a temp name and rename, so the copy is never seen half-written;
    /// streams 1 MiB at a time, so memory does not grow with the file.
    public static func copyAtomically(_ source: String, to target: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileSystemError(operation: "open", path: source, errorNumber: errno) }
        defer { close(input) }
        let folder = (target as NSString).deletingLastPathComponent
        try makeDirectory(folder)
        let temporary = "\(folder)/.\((target as NSString).lastPathComponent).\(getpid()).copy"
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw FileSystemError(operation: "create", path: temporary, errorNumber: errno) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var failure: FileSystemError?
        copying: while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR { continue }; failure = FileSystemError(operation: "read", path: source, errorNumber: errno); break }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return -1 }
                    return write(output, base + offset, count - offset)
                }
                if written < 0 { if errno == EINTR { continue }; failure = FileSystemError(operation: "write", path: temporary, errorNumber: errno); break copying }
                offset += written
            }
        }
        if failure == nil && fsync(output) != 0 { failure = FileSystemError(operation: "fsync", path: temporary, errorNumber: errno) }
        close(output)
        if let failure {
            unlink(temporary)
            throw failure
        }
        try rename(temporary, to: target)
    }
}
