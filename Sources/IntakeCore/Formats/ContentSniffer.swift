import Foundation
import Glibc

/// Guesses what a file is from its first bytes, for files whose name matches no feed:
/// an archive by its magic number, XML claims by the root element, CSV claims by a header
/// that names the layout's key columns.
enum ContentSniffer {
    enum Guess: Equatable {
        case archive
        case xmlClaims
        case csvClaims(delimiter: UInt8)
    }

    static func sniff(path: String) -> Guess? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return sniff(Array(buffer[0..<count]))
    }

    static func sniff(_ head: [UInt8]) -> Guess? {
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x1F, 0x8B]) || head.starts(with: [0x42, 0x5A, 0x68])
            || head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A]) || head.starts(with: [0x28, 0xB5, 0x2F, 0xFD])
            || (head.count > 262 && Array(head[257..<262]) == Array("ustar".utf8)) {
            return .archive
        }
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let text = String(decoding: bytes, as: UTF8.self)
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        if trimmed.hasPrefix("<") {
            return rootElement(of: String(trimmed)) == "claims" ? .xmlClaims : nil
        }
        guard let headerLine = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first?.lowercased() else { return nil }
        for delimiter in [",", ";", "\t", "|"] {
            let names = headerLine.split(separator: Character(delimiter)).map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            if names.contains("claim_id") && names.contains("billing_npi") && names.contains("hcpcs") {
                return .csvClaims(delimiter: UInt8(ascii: Unicode.Scalar(delimiter) ?? ","))
            }
        }
        return nil
    }

    /// The first element name after the prolog, comments and processing instructions.
    static func rootElement(of text: String) -> String? {
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            rest = rest[rest.index(after: open)...]
            if rest.hasPrefix("?") || rest.hasPrefix("!") {
                guard let close = rest.firstIndex(of: ">") else { return nil }
                rest = rest[rest.index(after: close)...]
                continue
            }
            let name = rest.prefix { !" \t\r\n/>".contains($0) }
            return name.isEmpty ? nil : String(name)
        }
        return nil
    }
}
