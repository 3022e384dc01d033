import Foundation
import Glibc

/// Writes a file so that no reader ever sees half of it: a dot-prefixed temp name in the target
/// folder, `fsync`, `rename` into place, then `fsync` of the folder. On failure the temp file is
/// removed and the target is untouched.
public enum AtomicFileWriter {
    public static func write(_ data: Data, to path: String) throws(FileSystemError) {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        try FileSystem.makeDirectory(folder)
        let temporary = "\(folder)/.\(name).\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError(operation: "create", path: temporary, errorNumber: errno) }
        var failure: FileSystemError?
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = FileSystemError(operation: "write", path: temporary, errorNumber: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil && fsync(descriptor) != 0 {
            failure = FileSystemError(operation: "fsync", path: temporary, errorNumber: errno)
        }
        if close(descriptor) != 0 && failure == nil {
            failure = FileSystemError(operation: "close", path: temporary, errorNumber: errno)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        do {
            try FileSystem.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    public static func write(_ text: String, to path: String) throws(FileSystemError) {
        try write(Data(text.utf8), to: path)
    }
}
