import XMLStream

/// Claims records from the XML layout: `<claims><claim><claim_id>…</claim_id>…</claim></claims>`,
/// one `<claim>` per service line, child elements named like the CSV columns (any order).
/// Streams with libxml2's reader: one claim in memory at a time.
struct XMLClaimStream: ClaimRecordStream {
    let reader: XMLStreamReader
    private var recordCount = 0
    private var sawRoot = false
    /// An XML document cut short fails as malformed ("likely an incomplete upload") instead.
    var lastRecordWasCut: Bool { false }

    init(reader: XMLStreamReader) {
        self.reader = reader
    }

    struct Record: ClaimRecord {
        let line: Int
        let record: Int
        let byteOffset: Int
        /// Values by column ordinal.
        let values: [String?]
        var structuralProblem: (code: ErrorCode, message: String)? { nil }

        func text(_ column: ClaimColumn) -> String? {
            guard let value = values[column.ordinal] else { return nil }
            let trimmed = value.trimmingBlanks()
            return trimmed.isEmpty ? nil : trimmed
        }

        func columnNumber(_ column: ClaimColumn) -> Int { 0 }
        func fieldName(_ column: ClaimColumn) -> String { column.rawValue }
    }

    mutating func next() throws(RecordStreamFailure) -> Record? {
        var values = [String?](repeating: nil, count: ClaimColumn.allCases.count)
        var inClaim = false
        var field: ClaimColumn?
        var text = ""
        var start = (line: 0, offset: 0)
        while true {
            let node: XMLNode?
            do {
                node = try reader.next(names: false)
            } catch {
                throw fatal(code: ErrorCode(rawValue: error.code.rawValue) ?? .xmlMalformed, message: error.message, line: error.line)
            }
            guard let node else {
                if inClaim || !sawRoot {
                    throw fatal(code: .xmlMalformed, message: sawRoot ? "the document ends inside a <claim> (likely an incomplete upload)" : "the document has no root element", line: start.line)
                }
                return nil
            }
            switch (node.kind, node.depth) {
            case (.startElement, 0):
                sawRoot = true
                let name = reader.withCurrentName { String(decoding: $0, as: UTF8.self) }
                guard name == "claims" else {
                    throw fatal(code: .xmlUnexpectedRoot, message: "the root element is <\(name)>, expected <claims>", line: node.line)
                }
            case (.startElement, 1):
                inClaim = true
                start = (node.line, reader.byteOffset)
                values = [String?](repeating: nil, count: values.count)
                if node.isEmptyElement {
                    recordCount += 1
                    return Record(line: start.line, record: recordCount, byteOffset: start.offset, values: values)
                }
            case (.startElement, 2):
                field = reader.withCurrentName(ClaimColumn.init(utf8:))
                text = ""
                if node.isEmptyElement, let field { values[field.ordinal] = "" }
            case (.text, 3):
                text += node.value
            case (.endElement, 2):
                if let field { values[field.ordinal] = text }
                field = nil
            case (.endElement, 1):
                recordCount += 1
                return Record(line: start.line, record: recordCount, byteOffset: start.offset, values: values)
            default:
                continue
            }
        }
    }

    private func fatal(code: ErrorCode, message: String, line: Int) -> RecordStreamFailure {
        RecordStreamFailure(error: RowError(line: line, record: 0, byteOffset: 0, column: 0, field: "", code: code, message: message, value: ""), isFatal: true)
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    func trimmingBlanks() -> String {
        func isBlank(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 10 || byte == 13 }
        // Values almost never have blanks around them: check the two ends before copying.
        guard let head = utf8.first, let tail = utf8.last else { return self }
        if !isBlank(head) && !isBlank(tail) { return self }
        let blanks: Set<UInt8> = [32, 9, 10, 13]
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !blanks.contains($0) }), let last = bytes.lastIndex(where: { !blanks.contains($0) }) else { return "" }
        if first == 0 && last == bytes.count - 1 { return self }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
