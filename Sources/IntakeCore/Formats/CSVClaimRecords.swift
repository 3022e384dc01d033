/// Claims records read from a CSV file: the header decides which field holds which column.
struct CSVClaimRecords {
    let reader: CSVReader
    let mapping: HeaderMapping<ClaimColumn>
    /// Record position of each column by `ordinal`, -1 when the file lacks it.
    let positions: [Int]

    init(reader: CSVReader, mapping: HeaderMapping<ClaimColumn>) {
        self.reader = reader
        self.mapping = mapping
        var positions = [Int](repeating: -1, count: ClaimColumn.allCases.count)
        for column in ClaimColumn.allCases { positions[column.ordinal] = mapping.indexes[column] ?? -1 }
        self.positions = positions
    }

    /// The current record, valid until the next `reader.next()`.
    var current: Record { Record(source: self) }

    struct Record: ClaimRecord {
        let source: CSVClaimRecords
        var line: Int { source.reader.recordLine }
        var record: Int { source.reader.recordCount - 1 }
        var byteOffset: Int { source.reader.recordByteOffset }

        var structuralProblem: (code: ErrorCode, message: String)? {
            let expected = source.mapping.headerNames.count
            guard source.reader.fieldCount != expected else { return nil }
            return (.fieldCount, "the record has \(source.reader.fieldCount) fields, the header has \(expected)")
        }

        func text(_ column: ClaimColumn) -> String? {
            let index = source.positions[column.ordinal]
            guard index >= 0 else { return nil }
            let value = source.reader.withField(index) { bytes -> String in
                var start = 0
                var end = bytes.count
                while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
                while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
            return value.isEmpty ? nil : value
        }

        func columnNumber(_ column: ClaimColumn) -> Int {
            let index = source.positions[column.ordinal]
            return index >= 0 ? index + 1 : 0
        }

        func fieldName(_ column: ClaimColumn) -> String { column.rawValue }
    }
}
