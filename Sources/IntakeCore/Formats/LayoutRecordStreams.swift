import XMLStream

/// A raw record of any layout: the trimmed text of each field by position in the layout.
struct RawRecord {
    var values: [String?]
    let line: Int
    let record: Int
    let byteOffset: Int
    /// Column number in the file of each field (CSV), 0 when not applicable.
    let columns: [Int]
    var structuralProblem: (code: ErrorCode, message: String)?
}

protocol RawRecordStream {
    mutating func next() throws(RecordStreamFailure) -> RawRecord?
    /// True when the last record read ended at end of file without a line break.
    var lastRecordWasCut: Bool { get }
}

/// CSV records mapped to a layout's fields by header name (case-insensitive, aliases).
struct CSVLayoutStream: RawRecordStream {
    let reader: CSVReader
    let layout: RecordLayout
    /// Record position of each layout field, -1 when absent.
    let positions: [Int]
    let headerCount: Int
    var lastRecordWasCut: Bool { reader.lastRecordHadNoLineEnd }

    /// Reads the header; a missing required column or a repeated one refuses the file.
    init(reader: CSVReader, layout: RecordLayout, aliases: [String: String]) throws(RecordStreamFailure) {
        self.reader = reader
        self.layout = layout
        do {
            guard try reader.next() else {
                throw RecordStreamFailure(error: RowError(line: 1, record: 0, byteOffset: 0, column: 0, field: "", code: .noHeader, message: "the file has no header row", value: ""), isFatal: true)
            }
        } catch let error as CSVReadError {
            throw RecordStreamFailure(error: RowError(line: error.line, record: 0, byteOffset: error.byteOffset, column: 0, field: "", code: error.code, message: error.message, value: ""), isFatal: true)
        } catch let failure as RecordStreamFailure {
            throw failure
        } catch {
            throw RecordStreamFailure(error: RowError(line: 1, record: 0, byteOffset: 0, column: 0, field: "", code: .fileUnreadable, message: "\(error)", value: ""), isFatal: true)
        }
        let header = reader.strings()
        headerCount = header.count
        let normalizedAliases = Dictionary(aliases.map { ($0.key.lowercased(), $0.value.lowercased()) }, uniquingKeysWith: { first, _ in first })
        var positions = [Int](repeating: -1, count: layout.fields.count)
        var duplicates: [String] = []
        for (index, name) in header.enumerated() {
            let normalized = name.trimmingBlanks().lowercased()
            guard let field = layout.index(of: normalizedAliases[normalized] ?? normalized) else { continue }
            if positions[field] >= 0 { duplicates.append(name) } else { positions[field] = index }
        }
        if !duplicates.isEmpty {
            throw RecordStreamFailure(error: RowError(line: 1, record: 0, byteOffset: 0, column: 0, field: duplicates.joined(separator: ","), code: .duplicateColumn,
                                                      message: "the header names a column more than once: \(duplicates.joined(separator: ", "))", value: ""), isFatal: true)
        }
        let missing = layout.fields.enumerated().filter { $0.element.isRequired && positions[$0.offset] < 0 }.map(\.element.name)
        if !missing.isEmpty {
            throw RecordStreamFailure(error: RowError(line: 1, record: 0, byteOffset: 0, column: 0, field: missing.joined(separator: ","), code: .missingColumns,
                                                      message: "required column\(missing.count == 1 ? "" : "s") missing from the header: \(missing.joined(separator: ", ")) (header was: \(header.joined(separator: ",")))", value: ""), isFatal: true)
        }
        self.positions = positions
    }

    mutating func next() throws(RecordStreamFailure) -> RawRecord? {
        guard try reader.nextForStream() else { return nil }
        var values = [String?](repeating: nil, count: positions.count)
        for (field, position) in positions.enumerated() where position >= 0 && position < reader.fieldCount {
            let text = reader.string(position).trimmingBlanks()
            values[field] = text.isEmpty ? nil : text
        }
        var record = RawRecord(values: values, line: reader.recordLine, record: reader.recordCount - 1, byteOffset: reader.recordByteOffset,
                               columns: positions.map { $0 >= 0 ? $0 + 1 : 0 })
        if reader.fieldCount != headerCount {
            record.structuralProblem = (.fieldCount, "the record has \(reader.fieldCount) fields, the header has \(headerCount)")
        }
        return record
    }
}

/// XML records of a layout: `<root><record><field>…</field>…</record></root>`.
struct XMLLayoutStream: RawRecordStream {
    let reader: XMLStreamReader
    let layout: RecordLayout
    private var count = 0
    private var sawRoot = false
    var lastRecordWasCut: Bool { false }

    init(reader: XMLStreamReader, layout: RecordLayout) {
        self.reader = reader
        self.layout = layout
    }

    mutating func next() throws(RecordStreamFailure) -> RawRecord? {
        var values = [String?](repeating: nil, count: layout.fields.count)
        var inRecord = false
        var field: Int?
        var text = ""
        var start = (line: 0, offset: 0)
        func fatal(_ code: ErrorCode, _ message: String, _ line: Int) -> RecordStreamFailure {
            RecordStreamFailure(error: RowError(line: line, record: 0, byteOffset: 0, column: 0, field: "", code: code, message: message, value: ""), isFatal: true)
        }
        while true {
            let node: XMLNode?
            do { node = try reader.next() } catch {
                throw fatal(ErrorCode(rawValue: error.code.rawValue) ?? .xmlMalformed, error.message, error.line)
            }
            guard let node else {
                if inRecord || !sawRoot { throw fatal(.xmlMalformed, sawRoot ? "the document ends inside a <\(layout.record)> (likely an incomplete upload)" : "the document has no root element", start.line) }
                return nil
            }
            switch (node.kind, node.depth) {
            case (.startElement, 0):
                sawRoot = true
                guard node.name == layout.root else { throw fatal(.xmlUnexpectedRoot, "the root element is <\(node.name)>, expected <\(layout.root)>", node.line) }
            case (.startElement, 1):
                inRecord = true
                start = (node.line, reader.byteOffset)
                values = [String?](repeating: nil, count: values.count)
                if node.isEmptyElement {
                    count += 1
                    return RawRecord(values: values, line: start.line, record: count, byteOffset: start.offset, columns: values.map { _ in 0 })
                }
            case (.startElement, 2):
                field = layout.index(of: node.name.lowercased())
                text = ""
            case (.text, 3):
                text += node.value
            case (.endElement, 2):
                if let field {
                    let trimmed = text.trimmingBlanks()
                    values[field] = trimmed.isEmpty ? nil : trimmed
                }
                field = nil
            case (.endElement, 1):
                count += 1
                return RawRecord(values: values, line: start.line, record: count, byteOffset: start.offset, columns: values.map { _ in 0 })
            default:
                continue
            }
        }
    }
}
