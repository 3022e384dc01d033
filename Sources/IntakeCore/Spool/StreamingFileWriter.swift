import Foundation
import Glibc

/// Writes a large file piece by piece under a dot-prefixed temp name, then `fsync` and rename,
/// so readers never see half of it and memory stays flat (exports of a million claim lines).
///
/// Many files of one job are published together (`publish(_:)`): their data is made durable
/// with one `syncfs` instead of an `fsync` each, then they are renamed into place and each
/// folder synced once, so a job's dozen small exports cost two flushes of the disk, not two dozen.
final class StreamingFileWriter {
    let path: String
    private let temporary: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var failure: FileSystemError?
    private var isPublished = false

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
        if descriptor >= 0 { Glibc.close(descriptor) }
        if !isPublished { unlink(temporary) }
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    func write(_ data: Data) throws {
        buffer.append(contentsOf: data)
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
        try Self.publish([self])
    }

    /// Writes out what is buffered and closes the file, still under its temp name.
    private func close() throws {
        try flush()
        buffer = []
        guard descriptor >= 0 else { return }
        let code = Glibc.close(descriptor)
        descriptor = -1
        guard code == 0 else { throw FileSystemError(operation: "close", path: temporary, errorNumber: errno) }
    }

    /// Makes every file durable, then renames each into place and syncs each folder once.
    /// Until the renames, nothing is visible under the final names; if the sync fails, nothing is.
    ///
    /// `syncingFilesystem` forces the sync of the whole filesystem even for one file, for a
    /// caller that renamed something else just before (the sync makes that durable too).
    static func publish(_ writers: [StreamingFileWriter], syncingFilesystem: Bool = false) throws {
        guard let first = writers.first else { return }
        for writer in writers { try writer.close() }
        if writers.count == 1 && !syncingFilesystem {
            let descriptor = open(first.temporary, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileSystemError(operation: "open", path: first.temporary, errorNumber: errno) }
            defer { Glibc.close(descriptor) }
            guard fsync(descriptor) == 0 else { throw FileSystemError(operation: "fsync", path: first.temporary, errorNumber: errno) }
        } else {
            try FileSystem.syncFilesystem(containing: first.temporary)
        }
        var folders: Set<String> = []
        for writer in writers {
            try FileSystem.rename(writer.temporary, to: writer.path, syncingFolder: false)
            writer.isPublished = true
            folders.insert((writer.path as NSString).deletingLastPathComponent)
        }
        for folder in folders { FileSystem.syncDirectory(of: folder + "/.") }
    }
}
