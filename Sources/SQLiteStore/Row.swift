/// One result row, copied out of the statement so it outlives the next `step`.
///
/// Columns are read by name; a missing column or a NULL reads as `nil`.
public struct Row: Sendable, CustomStringConvertible {
    public let columns: [String]
    public let values: [SQLiteValue]

    public init(columns: [String], values: [SQLiteValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ name: String) -> SQLiteValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    public func int64(_ name: String) -> Int64? {
        switch self[name] {
        case .integer(let value): return value
        case .real(let value): return Int64(exactly: value.rounded())
        case .text(let value): return Int64(value)
        case .null: return nil
        }
    }

    public func int(_ name: String) -> Int? { int64(name).map { Int($0) } }

    public func double(_ name: String) -> Double? {
        switch self[name] {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        case .text(let value): return Double(value)
        case .null: return nil
        }
    }

    public func string(_ name: String) -> String? {
        switch self[name] {
        case .null: return nil
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        }
    }

    public var description: String {
        zip(columns, values).map { "\($0)=\($1)" }.joined(separator: " ")
    }
}
