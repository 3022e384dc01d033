internal import CSQLite
import Glibc

/// A prepared statement. Reuse it (bind, step, reset) instead of preparing the same SQL per row.
///
/// Not `Sendable`: a statement belongs to the connection that made it and to that connection's
/// owner. The C handle is finalized once, in `deinit`.
public final class Statement {
    let handle: OpaquePointer
    let database: DatabaseHandle
    public let sql: String

    init(database: DatabaseHandle, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(database.pointer, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw database.error(code: code, sql: sql)
        }
        self.handle = statement
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    /// Binds `values` to parameters 1...n after clearing the previous bindings and resetting.
    public func bind(_ values: [any SQLiteBindable]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            try bind(value.sqliteValue, at: Int32(offset + 1))
        }
    }

    public func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(handle, index)
        case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
        case .real(let number): code = sqlite3_bind_double(handle, index, number)
        case .text(let text): code = bindText(text, at: index)
        }
        try check(code)
    }

    /// Binds UTF-8 bytes as TEXT without making a `String` first (the bulk-load path).
    public func bind(utf8 bytes: UnsafeBufferPointer<UInt8>, at index: Int32) throws(SQLiteError) {
        let code: Int32
        if let base = bytes.baseAddress {
            code = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), sqliteTransient)
            }
        } else {
            code = "".withCString { sqlite3_bind_text(handle, index, $0, 0, sqliteTransient) }
        }
        try check(code)
    }

    /// Binds TEXT, or NULL for `nil`.
    public func bind(_ text: String?, at index: Int32) throws(SQLiteError) {
        guard let text else { return try check(sqlite3_bind_null(handle, index)) }
        try check(bindText(text, at: index))
    }

    public func bind(_ number: Int, at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_int64(handle, index, Int64(number)))
    }

    public func bind(_ number: Int64, at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_int64(handle, index, number))
    }

    public func bindNull(at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_null(handle, index))
    }

    private func bindText(_ text: String, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress else {
                    return "".withCString { sqlite3_bind_text(handle, index, $0, 0, sqliteTransient) }
                }
                return sqlite3_bind_text(handle, index, base, Int32(chars.count), sqliteTransient)
            }
        }
    }

    // MARK: Stepping

    /// Runs the statement to completion (for INSERT, UPDATE, DELETE and DDL).
    public func run() throws(SQLiteError) {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Advances to the next row; `false` when done. Throws SQLite's error with this statement's SQL.
    public func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.error(code: code, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    public func reset() {
        sqlite3_reset(handle)
    }

    /// All rows, copied out, after which the statement is reset for reuse.
    public func fetchAll() throws(SQLiteError) -> [Row] {
        defer { sqlite3_reset(handle) }
        var rows: [Row] = []
        let names = columnNames
        while try step() {
            rows.append(Row(columns: names, values: (0..<Int32(names.count)).map(value(at:))))
        }
        return rows
    }

    public var columnNames: [String] {
        (0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) }
    }

    public func value(at column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_NULL: return .null
        default:
            guard let text = sqlite3_column_text(handle, column) else { return .null }
            return .text(String(cString: text))
        }
    }

    public func int64(at column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// The column as UTF-8 text (an integer in decimal, NULL as no bytes), lent to `body` without
    /// a copy: SQLite reuses the memory at the next step, so the bytes must not outlive the call.
    /// For exports that stream millions of values straight into a file buffer.
    public func withUTF8<Result>(at column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        guard let text = sqlite3_column_text(handle, column) else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeBufferPointer(start: text, count: count))
    }

    private func check(_ code: Int32) throws(SQLiteError) {
        guard code == SQLITE_OK else { throw database.error(code: code, sql: sql) }
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.
nonisolated(unsafe) let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
