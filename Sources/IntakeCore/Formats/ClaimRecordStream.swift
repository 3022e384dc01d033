/// Yields the records of a claims file one at a time, whatever its format.
protocol ClaimRecordStream: SendableMetatype {
    associatedtype Record: ClaimRecord
    /// The next record, or `nil` at the end. A failure that spoils one record (invalid UTF-8
    /// in it) is not fatal; the stream goes on after it. A fatal one ends the file.
    mutating func next() throws(RecordStreamFailure) -> Record?
    /// True when the last record read ended at end of file without a line break.
    var lastRecordWasCut: Bool { get }
}

struct RecordStreamFailure: Error {
    let error: RowError
    let isFatal: Bool
}

/// CSV as a record stream (the header was read when the stream was made).
struct CSVClaimStream: ClaimRecordStream {
    let records: CSVClaimRecords
    var lastRecordWasCut: Bool { records.reader.lastRecordHadNoLineEnd }

    mutating func next() throws(RecordStreamFailure) -> CSVClaimRecords.Record? {
        let reader = records.reader
        guard try reader.nextForStream() else { return nil }
        return records.current
    }
}

extension CSVReader {
    /// `next()` for a record stream: invalid UTF-8 spoils one record (the stream goes on after
    /// it); any other CSV error ends the file.
    func nextForStream() throws(RecordStreamFailure) -> Bool {
        do {
            return try next()
        } catch {
            let rowError = RowError(line: error.line, record: error.code == .invalidUTF8 ? recordCount - 1 : 0,
                                    byteOffset: error.byteOffset, column: 0, field: "", code: error.code, message: error.message, value: "")
            throw RecordStreamFailure(error: rowError, isFatal: error.code != .invalidUTF8)
        }
    }
}
