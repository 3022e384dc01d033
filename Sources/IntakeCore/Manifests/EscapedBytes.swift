/// How CSV cells and XML text are escaped, on bytes, for exports that write millions of cells:
/// the value's bytes are appended to the output buffer, escaped, with no String made.
/// `CSVCell.escape` and `htmlEscape` are these same rules applied to a String.
enum EscapedBytes {
    /// One CSV cell: formula-injection prefix (OWASP), then RFC 4180 quoting when needed.
    static func appendCSVCell(_ value: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        let defuse = value.first.map { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-")
            || $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") } ?? false
        let quote = value.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        if quote { output.append(UInt8(ascii: "\"")) }
        if defuse { output.append(UInt8(ascii: "'")) }
        if quote {
            for byte in value {
                if byte == UInt8(ascii: "\"") { output.append(byte) }
                output.append(byte)
            }
            output.append(UInt8(ascii: "\""))
        } else {
            output.append(contentsOf: value)
        }
    }

    /// XML character data or attribute value: the five special characters as entities.
    static func appendXMLText(_ value: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        for byte in value {
            switch byte {
            case UInt8(ascii: "&"): output.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): output.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): output.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): output.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): output.append(contentsOf: "&#39;".utf8)
            default: output.append(byte)
            }
        }
    }

    /// `appendCSVCell` or `appendXMLText` applied to a String, for the callers that write
    /// Strings (`CSVCell.escape`, `htmlEscape`): one set of rules for both paths.
    static func escaped(_ text: String, by append: (UnsafeBufferPointer<UInt8>, inout [UInt8]) -> Void) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 8)
        if text.utf8.withContiguousStorageIfAvailable({ append($0, &output) }) == nil {
            Array(text.utf8).withUnsafeBufferPointer { append($0, &output) }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
