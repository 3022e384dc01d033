import Glibc

/// Limits that keep a hostile archive from filling the disk or escaping its folder.
public struct ExtractionLimits: Sendable {
    public var maxMembers = 1_000
    /// Bytes actually written (never the sizes the archive declares).
    public var maxTotalBytes: Int64 = 1 << 30
    /// Bytes written per byte of archive; beyond it the archive is a bomb.
    public var maxCompressionRatio: Int64 = 100
    /// Ratios are only judged once this much has been written (tiny files compress oddly).
    public var ratioGraceBytes: Int64 = 1 << 20
    public init() {}
}

/// Why an archive was refused. `code` values are Intake's stable error codes.
public struct ArchiveRefusal: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case pathTraversal = "archive.path_traversal"
        case linkRefused = "archive.link_refused"
        case specialFile = "archive.special_file"
        case tooManyMembers = "archive.too_many_members"
        case tooLarge = "archive.too_large"
        case ratioExceeded = "archive.ratio_exceeded"
        case encrypted = "archive.encrypted"
        case corrupt = "archive.corrupt"
        case duplicateMember = "archive.duplicate_member"
        /// Writing to the spool failed (a full disk): Intake's trouble, not the archive's.
        case writeFailed = "archive.write_failed"
    }
    public let code: Code
    public let message: String
    public let member: String
    /// Bytes written before the refusal (all of them removed again).
    public let bytesWritten: Int64
    public var description: String { "\(code.rawValue): \(message)" }
}

/// A member written to disk.
public struct ExtractedMember: Sendable, Equatable {
    /// The member's path inside the archive (validated: relative, no `..`).
    public let path: String
    /// Where it was written.
    public let localPath: String
    public let bytes: Int64
}

/// Extracts regular files from an archive into a folder, refusing the whole archive at the
/// first hostile member: `..` or absolute paths, links, device files, encrypted members,
/// too many members, too many bytes written, or a compression ratio past the limit. On
/// refusal everything already written is removed.
public enum SafeExtractor {
    public static func extract(archive path: String, into folder: String, limits: ExtractionLimits = ExtractionLimits()) throws(ArchiveRefusal) -> [ExtractedMember] {
        var written: Int64 = 0
        var members: [ExtractedMember] = []
        var createdFolders: [String] = []
        func refuse(_ code: ArchiveRefusal.Code, _ message: String, member: String) -> ArchiveRefusal {
            for member in members { unlink(member.localPath) }
            for folder in createdFolders.reversed() { rmdir(folder) }
            return ArchiveRefusal(code: code, message: message, member: member, bytesWritten: written)
        }
        var archiveInfo = stat()
        let archiveSize = stat(path, &archiveInfo) == 0 ? max(Int64(archiveInfo.st_size), 1) : 1
        let reader: ArchiveReader
        do {
            reader = try ArchiveReader(path: path)
        } catch {
            throw refuse(.corrupt, "not a readable archive: \(error.message)", member: "")
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var memberCount = 0
        while true {
            let entry: ArchiveEntry
            do {
                guard let next = try reader.nextEntry() else { break }
                entry = next
            } catch {
                throw refuse(.corrupt, "the archive is damaged or truncated: \(error.message)", member: "")
            }
            if entry.kind == .directory { continue }
            memberCount += 1
            if memberCount > limits.maxMembers {
                throw refuse(.tooManyMembers, "more than \(limits.maxMembers) members", member: entry.path)
            }
            switch entry.kind {
            case .symlink, .hardlink:
                throw refuse(.linkRefused, "member \(entry.path) is a link; links are refused", member: entry.path)
            case .other:
                throw refuse(.specialFile, "member \(entry.path) is a device, FIFO or socket, not a file", member: entry.path)
            case .file, .directory:
                break
            }
            if entry.isEncrypted {
                throw refuse(.encrypted, "member \(entry.path) is encrypted; send it unencrypted (the SFTP link is already encrypted)", member: entry.path)
            }
            guard let relative = safeRelativePath(entry.path) else {
                throw refuse(.pathTraversal, "member path \(entry.path) is absolute or climbs out with '..'", member: entry.path)
            }
            let target = folder + "/" + relative
            var parent = folder
            for component in relative.split(separator: "/").dropLast() {
                parent += "/" + component
                if mkdir(parent, 0o755) == 0 { createdFolders.append(parent) }
            }
            let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard descriptor >= 0 else {
                let code = errno
                throw refuse(code == EEXIST ? .duplicateMember : .writeFailed,
                             code == EEXIST ? "the archive holds \(entry.path) twice" : "member \(entry.path) cannot be written: \(String(cString: strerror(code)))", member: entry.path)
            }
            members.append(ExtractedMember(path: relative, localPath: target, bytes: 0))
            var memberBytes: Int64 = 0
            var failure: ArchiveRefusal?
            while failure == nil {
                let count: Int
                do {
                    count = try buffer.withUnsafeMutableBytes { try reader.readData(into: $0) }
                } catch let error as ArchiveError {
                    failure = refuse(error.message.lowercased().contains("encrypt") ? .encrypted : .corrupt,
                                     "member \(entry.path) cannot be read: \(error.message)", member: entry.path)
                    break
                } catch {
                    failure = refuse(.corrupt, "member \(entry.path) cannot be read", member: entry.path)
                    break
                }
                if count == 0 { break }
                if written + Int64(count) > limits.maxTotalBytes {
                    failure = refuse(.tooLarge, "expands to more than \(limits.maxTotalBytes) bytes", member: entry.path)
                    break
                }
                let ok = buffer.withUnsafeBytes { raw -> Bool in
                    guard let base = raw.baseAddress else { return false }
                    var offset = 0
                    while offset < count {
                        let result = write(descriptor, base + offset, count - offset)
                        if result < 0 { if errno == EINTR { continue }; return false }
                        offset += result
                    }
                    return true
                }
                guard ok else {
                    failure = refuse(.writeFailed, "writing member \(entry.path) failed: \(String(cString: strerror(errno)))", member: entry.path)
                    break
                }
                written += Int64(count)
                memberBytes += Int64(count)
                if written > limits.ratioGraceBytes && written / archiveSize > limits.maxCompressionRatio {
                    failure = refuse(.ratioExceeded, "expands more than \(limits.maxCompressionRatio) times its size (a compression bomb)", member: entry.path)
                }
            }
            close(descriptor)
            if let failure { throw failure }
            members[members.count - 1] = ExtractedMember(path: relative, localPath: target, bytes: memberBytes)
        }
        return members
    }

    /// The member path made relative and checked, or `nil` when it is absolute or uses `..`.
    static func safeRelativePath(_ path: String) -> String? {
        guard !path.hasPrefix("/"), !path.contains("\\") || !path.contains("..") else { return nil }
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            if component == ".." { return nil }
            if component == "." || component.isEmpty { continue }
            components.append(component)
        }
        guard !components.isEmpty else { return nil }
        return components.joined(separator: "/")
    }
}
