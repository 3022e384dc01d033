import Glibc

/// A problem in the CSV text itself (as opposed to a value that fails a domain rule).
public struct CSVReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String
    /// Physical line (1-based) where the problem starts.
    public let line: Int
    /// Byte offset from the start of the file.
    public let byteOffset: Int
    public var description: String { "\(code.rawValue) at line \(line) (byte \(byteOffset)): \(message)" }
}

/// Streams RFC 4180 records from a file over a fixed read buffer, so memory does not grow with
/// the file. Accepts what partners send: a UTF-8 BOM, LF, CRLF or lone CR line ends, quoted fields
/// with delimiters, doubled quotes and line breaks, any one-byte delimiter, trailing blank lines.
///
/// Fields are exposed as byte ranges of the current record, valid until the next `next()`.
/// Not `Sendable`: one owner reads. The file descriptor is closed in `deinit`.
public final class CSVReader {
    public struct Options: Sendable {
        public var delimiter: UInt8 = UInt8(ascii: ",")
        /// A record longer than this is refused, so an unterminated quote cannot eat memory.
        public var maxRecordBytes = 1 << 20
        public var bufferSize = 256 * 1024
        /// UTF-8 is checked strictly; Windows-1252 and Latin-1 are converted to UTF-8.
        public var encoding: TextEncoding = .utf8
        public init() {}
    }

    private let descriptor: Int32
    private let options: Options
    /// The fixed read buffer: a `let` pointer, so the byte loops pay no exclusivity checks.
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private var bufferCount = 0
    private var bufferIndex = 0
    private var bufferFileOffset = 0
    private var isAtEndOfFile = false
    private var lineNumber = 1
    private var sawFirstByte = false

    /// Bytes of the current record's fields, back to back.
    private(set) var storage: [UInt8] = []
    /// End index in `storage` of each field of the current record.
    private(set) var fieldEnds: [Int] = []
    /// File offset of each field's first content byte, to report exact byte offsets.
    private var fieldFileStarts: [Int] = []

    /// Physical line where the current record starts (1-based).
    public private(set) var recordLine = 0
    /// Physical line where the current record ends.
    public private(set) var recordEndLine = 0
    /// Byte offset of the current record's first byte.
    public private(set) var recordByteOffset = 0
    /// Data records returned so far, header included.
    public private(set) var recordCount = 0
    /// Bytes consumed so far (for progress).
    public var bytesRead: Int { bufferFileOffset + bufferIndex }
    /// True when the last record ended at end of file without a line break.
    public private(set) var lastRecordHadNoLineEnd = false

    public init(path: String, options: Options = Options()) throws(CSVReadError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CSVReadError(code: .fileUnreadable, message: "cannot open \(path): \(String(cString: strerror(errno)))", line: 0, byteOffset: 0)
        }
        self.descriptor = descriptor
        self.options = options
        self.buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(options.bufferSize, 4096))
        storage.reserveCapacity(4096)
        fieldEnds.reserveCapacity(32)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    public var fieldCount: Int { fieldEnds.count }

    /// Calls `body` with the bytes of field `index` of the current record.
    @inline(__always)
    public func withField<T>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        let start = index == 0 ? 0 : fieldEnds[index - 1]
        let end = fieldEnds[index]
        return try storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[start..<end]))
        }
    }

    public func fieldLength(_ index: Int) -> Int {
        fieldEnds[index] - (index == 0 ? 0 : fieldEnds[index - 1])
    }

    /// Field `index` of the current record as a `String` (the bytes are valid UTF-8 once
    /// `next()` returned).
    public func string(_ index: Int) -> String {
        withField(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields of the current record as strings (for headers and tests).
    public func strings() -> [String] {
        (0..<fieldCount).map(string)
    }

    /// Reads the next record; `false` at end of file. Blank lines are skipped.
    public func next() throws(CSVReadError) -> Bool {
        while true {
            storage.removeAll(keepingCapacity: true)
            fieldEnds.removeAll(keepingCapacity: true)
            guard try fillIfNeeded() else { return false }
            if !sawFirstByte { try skipByteOrderMark() }
            guard try fillIfNeeded() else { return false }
            recordLine = lineNumber
            recordByteOffset = bytesRead
            let isBlank = try readRecord()
            recordEndLine = lineNumber - (lastRecordHadNoLineEnd ? 0 : 1)
            if isBlank { continue }
            recordCount += 1
            if options.encoding == .utf8 {
                try validateUTF8()
            } else {
                try transcodeToUTF8()
            }
            return true
        }
    }

    /// Parses one record into `storage`/`fieldEnds`. Returns true if it was an empty line.
    private func readRecord() throws(CSVReadError) -> Bool {
        let delimiter = options.delimiter
        let quote = UInt8(ascii: "\"")
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        var inQuotes = false
        var fieldStartedQuoted = false
        var fieldHasBytes = false
        var quoteLine = 0
        lastRecordHadNoLineEnd = false
        fieldFileStarts.removeAll(keepingCapacity: true)
        fieldFileStarts.append(bytesRead)

        while true {
            guard try fillIfNeeded() else {
                // End of file.
                if inQuotes {
                    throw CSVReadError(code: .unterminatedQuote,
                                       message: "a quoted field opened on line \(quoteLine) is not closed before the end of the file (likely an incomplete upload)",
                                       line: quoteLine, byteOffset: recordByteOffset)
                }
                lastRecordHadNoLineEnd = true
                fieldEnds.append(storage.count)
                return fieldEnds.count == 1 && storage.isEmpty && !fieldStartedQuoted
            }
            // Scan the plain run quickly: bytes that are not special are copied in bulk.
            let start = bufferIndex
            var index = start
            let count = bufferCount
            if inQuotes {
                while index < count {
                    let byte = buffer[index]
                    if byte == quote || byte == lf || byte == cr { break }
                    index += 1
                }
            } else {
                while index < count {
                    let byte = buffer[index]
                    if byte == delimiter || byte == quote || byte == lf || byte == cr { break }
                    index += 1
                }
            }
            if index > start {
                storage.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<index]))
                fieldHasBytes = true
                bufferIndex = index
                if storage.count > options.maxRecordBytes {
                    throw CSVReadError(code: .recordTooLong, message: "a record is longer than \(options.maxRecordBytes) bytes (an unbalanced quote?)",
                                       line: recordLine, byteOffset: recordByteOffset)
                }
                continue
            }
            let byte = buffer[bufferIndex]
            bufferIndex += 1
            if inQuotes {
                if byte == quote {
                    guard try fillIfNeeded() else { inQuotes = false; continue }
                    if buffer[bufferIndex] == quote {
                        storage.append(quote)
                        bufferIndex += 1
                    } else {
                        inQuotes = false
                    }
                } else if byte == cr {
                    // A line break inside quotes is data; CRLF and lone CR count as one line.
                    storage.append(cr)
                    lineNumber += 1
                    if try fillIfNeeded(), buffer[bufferIndex] == lf {
                        storage.append(lf)
                        bufferIndex += 1
                    }
                } else { // lf
                    storage.append(lf)
                    lineNumber += 1
                }
                continue
            }
            switch byte {
            case delimiter:
                fieldEnds.append(storage.count)
                fieldFileStarts.append(bytesRead)
                fieldStartedQuoted = false
                fieldHasBytes = false
            case quote:
                if !fieldHasBytes && !fieldStartedQuoted {
                    inQuotes = true
                    fieldStartedQuoted = true
                    fieldFileStarts[fieldFileStarts.count - 1] = bytesRead
                    quoteLine = lineNumber
                } else {
                    // A stray quote inside an unquoted field is kept as data.
                    storage.append(quote)
                    fieldHasBytes = true
                }
            case cr:
                lineNumber += 1
                if try fillIfNeeded(), buffer[bufferIndex] == lf { bufferIndex += 1 }
                fieldEnds.append(storage.count)
                return fieldEnds.count == 1 && storage.isEmpty && !fieldStartedQuoted
            default: // lf
                lineNumber += 1
                fieldEnds.append(storage.count)
                return fieldEnds.count == 1 && storage.isEmpty && !fieldStartedQuoted
            }
        }
    }

    /// Makes sure at least one unread byte is buffered; `false` at end of file.
    @inline(__always)
    private func fillIfNeeded() throws(CSVReadError) -> Bool {
        if bufferIndex < bufferCount { return true }
        if isAtEndOfFile { return false }
        bufferFileOffset += bufferCount
        bufferIndex = 0
        bufferCount = 0
        var readCount: Int
        repeat { readCount = read(descriptor, buffer.baseAddress, buffer.count) } while readCount < 0 && errno == EINTR
        if readCount < 0 {
            throw CSVReadError(code: .fileUnreadable, message: "read failed: \(String(cString: strerror(errno)))", line: lineNumber, byteOffset: bufferFileOffset)
        }
        if readCount == 0 {
            isAtEndOfFile = true
            return false
        }
        bufferCount = readCount
        return true
    }

    private func skipByteOrderMark() throws(CSVReadError) {
        sawFirstByte = true
        guard bufferCount - bufferIndex >= 2 else { return }
        if buffer[bufferIndex] == 0xFF && buffer[bufferIndex + 1] == 0xFE || buffer[bufferIndex] == 0xFE && buffer[bufferIndex + 1] == 0xFF {
            throw CSVReadError(code: .unsupportedEncoding, message: "the file is UTF-16 (byte order mark FF FE or FE FF); send UTF-8", line: 1, byteOffset: 0)
        }
        if bufferCount - bufferIndex >= 3, buffer[bufferIndex] == 0xEF, buffer[bufferIndex + 1] == 0xBB, buffer[bufferIndex + 2] == 0xBF {
            bufferIndex += 3
        }
        // Text never holds NUL bytes: a NUL near the start means an image, a PDF, a zip ...
        let head = UnsafeBufferPointer(rebasing: buffer[bufferIndex..<min(bufferCount, bufferIndex + 8192)])
        if let nul = head.firstIndex(of: 0) {
            throw CSVReadError(code: .binaryContent, message: "a NUL byte at byte \(nul): the file looks binary (an image, a PDF, an archive?), not CSV text",
                               line: 1, byteOffset: nul)
        }
    }

    /// Converts a Windows-1252 or Latin-1 record to UTF-8 in place (fields keep their order).
    private func transcodeToUTF8() throws(CSVReadError) {
        guard storage.contains(where: { $0 >= 0x80 || $0 == 0 }) else { return }
        if let nul = storage.firstIndex(of: 0) {
            throw CSVReadError(code: .binaryContent, message: "a NUL byte: the file looks binary, not CSV text", line: recordLine, byteOffset: recordByteOffset + nul)
        }
        var converted: [UInt8] = []
        converted.reserveCapacity(storage.count + 16)
        var ends: [Int] = []
        var field = 0
        for (index, byte) in storage.enumerated() {
            while field < fieldEnds.count && fieldEnds[field] == index {
                ends.append(converted.count)
                field += 1
            }
            let scalar = byte < 0x80 ? UInt32(byte) : (options.encoding == .windows1252 ? windows1252Scalar(byte) : UInt32(byte))
            appendUTF8(scalar, to: &converted)
        }
        while field < fieldEnds.count {
            ends.append(converted.count)
            field += 1
        }
        storage = converted
        fieldEnds = ends
    }

    /// Strict UTF-8 over the record; NUL bytes mean binary content.
    private func validateUTF8() throws(CSVReadError) {
        let result: (offset: Int, isNul: Bool)? = storage.withUnsafeBufferPointer { bytes in
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                if byte < 0x80 {
                    if byte == 0 { return (index, true) }
                    index += 1
                    continue
                }
                let length: Int
                let minimum: UInt32
                var scalar: UInt32
                switch byte {
                case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(byte & 0x1F)
                case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(byte & 0x0F)
                case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(byte & 0x07)
                default: return (index, false)
                }
                guard index + length <= count else { return (index, false) }
                for next in 1..<length {
                    let continuation = bytes[index + next]
                    guard continuation & 0xC0 == 0x80 else { return (index, false) }
                    scalar = scalar << 6 | UInt32(continuation & 0x3F)
                }
                guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return (index, false) }
                index += length
            }
            return nil
        }
        guard let result else { return }
        // Map the offset within the field bytes back to the file: the field's first content
        // byte plus the offset within the field (exact unless doubled quotes precede it).
        let field = fieldEnds.firstIndex { $0 > result.offset } ?? 0
        let fieldStart = field == 0 ? 0 : fieldEnds[field - 1]
        let offset = (field < fieldFileStarts.count ? fieldFileStarts[field] : recordByteOffset) + result.offset - fieldStart
        if result.isNul {
            throw CSVReadError(code: .binaryContent, message: "a NUL byte at byte \(offset): the file looks binary, not CSV text", line: recordLine, byteOffset: offset)
        }
        throw CSVReadError(code: .invalidUTF8, message: "invalid UTF-8 byte sequence at byte \(offset) (field \(field + 1)); the feed is declared UTF-8",
                           line: recordLine, byteOffset: offset)
    }
}

/// Windows-1252's 0x80-0x9F block (the rest matches Latin-1). Undefined bytes keep their
/// Latin-1 control code point, as the WHATWG encoding standard does.
private func windows1252Scalar(_ byte: UInt8) -> UInt32 {
    let table: [UInt32] = [0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
                           0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178]
    return (0x80...0x9F).contains(byte) ? table[Int(byte - 0x80)] : UInt32(byte)
}

private func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
    switch scalar {
    case 0..<0x80:
        bytes.append(UInt8(scalar))
    case 0x80..<0x800:
        bytes.append(UInt8(0xC0 | (scalar >> 6)))
        bytes.append(UInt8(0x80 | (scalar & 0x3F)))
    default:
        bytes.append(UInt8(0xE0 | (scalar >> 12)))
        bytes.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (scalar & 0x3F)))
    }
}
