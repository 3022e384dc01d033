internal import CLibArchive

/// An entry of an archive, as the archive declares it (before any safety check).
public struct ArchiveEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case file, directory, symlink, hardlink, other }
    public let path: String
    public let kind: Kind
    /// The size the archive declares; never trusted for limits (count bytes actually read).
    public let declaredSize: Int64?
    public let isEncrypted: Bool
}

/// An error from libarchive, with its message and the archive's path.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    /// libarchive's own message.
    public let message: String
    public let path: String
    public var description: String { "archive \(path): \(message)" }
}

/// Streams the entries of a zip or tar (gzip, bzip2, xz, zstd) archive through libarchive.
///
/// Not `Sendable`: one owner walks the entries. The `archive*` is freed once in `deinit`.
public final class ArchiveReader {
    private let archive: OpaquePointer
    public let path: String

    public init(path: String) throws(ArchiveError) {
        guard let archive = archive_read_new() else { throw ArchiveError(message: "out of memory", path: path) }
        self.archive = archive
        self.path = path
        archive_read_support_filter_all(archive)
        archive_read_support_format_zip(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        try check(archive_read_open_filename(archive, path, 64 * 1024))
    }

    deinit {
        archive_read_free(archive)
    }

    /// The next entry's header, or `nil` at the end. Read its data with `readData(into:)`.
    public func nextEntry() throws(ArchiveError) -> ArchiveEntry? {
        var entry: OpaquePointer?
        let code = archive_read_next_header(archive, &entry)
        if code == ARCHIVE_EOF { return nil }
        try check(code)
        guard let entry else { return nil }
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let kind: ArchiveEntry.Kind
        if archive_entry_hardlink(entry) != nil {
            kind = .hardlink
        } else {
            switch archive_entry_filetype(entry) {
            case 0o100000: kind = .file
            case 0o040000: kind = .directory
            case 0o120000: kind = .symlink
            default: kind = .other
            }
        }
        let size: Int64? = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
        return ArchiveEntry(path: name, kind: kind, declaredSize: size, isEncrypted: archive_entry_is_encrypted(entry) != 0)
    }

    /// Reads the current entry's next block into `buffer`; returns the count, 0 at its end.
    public func readData(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if count < 0 { throw ArchiveError(message: currentMessage(), path: path) }
        return count
    }

    private func check(_ code: Int32) throws(ArchiveError) {
        guard code >= ARCHIVE_WARN else { throw ArchiveError(message: currentMessage(), path: path) }
    }

    private func currentMessage() -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}
