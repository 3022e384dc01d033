import Foundation
import Glibc

/// Writes a large file piece by piece under a dot-prefixed temp name, then `fsync` and rename,
/// so readers never see half of it and memory stays flat (exports of a million claim lines).
final class StreamingFileWriter {
    private let path: String
    private let temporary: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var failure: FileSystemError?

    init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        try FileSystem.makeDirectory(folder)
        temporary = "\(folder)/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError(operation: "create", path: temporary, errorNumber: errno) }
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        close(descriptor)
        if failure != nil || FileSystem.exists(temporary) { unlink(temporary) }
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends bytes built in place (an export row escaped straight from the database).
    func append(_ build: (inout [UInt8]) throws -> Void) throws {
        try build(&buffer)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        if let failure { throw failure }
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(descriptor, base + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let error = FileSystemError(operation: "write", path: temporary, errorNumber: errno)
                failure = error
                throw error
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames into place.
    func finish() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw FileSystemError(operation: "fsync", path: temporary, errorNumber: errno) }
        try FileSystem.rename(temporary, to: path)
    }
}
