/// One problem with one record, as it appears in the error manifest.
public struct RowError: Sendable, Equatable, Codable {
    /// Physical line where the record starts (1-based; the header is line 1).
    public var line: Int
    /// Data record number (1-based, header not counted); 0 for a file-level error.
    public var record: Int
    public var byteOffset: Int
    /// Column number (1-based) in the file, 0 when the error is not about one column.
    public var column: Int
    /// Header name of that column, empty when not about one column.
    public var field: String
    public var code: ErrorCode
    public var message: String
    /// The rejected value as sent (truncated to 200 characters).
    public var value: String

    public init(line: Int, record: Int, byteOffset: Int, column: Int, field: String, code: ErrorCode, message: String, value: String) {
        self.line = line
        self.record = record
        self.byteOffset = byteOffset
        self.column = column
        self.field = field
        self.code = code
        self.message = message
        self.value = value.count > 200 ? String(value.prefix(200)) + "…" : value
    }

    enum CodingKeys: String, CodingKey {
        case line, record, byteOffset = "byte_offset", column, field, code, message, value
    }
}
