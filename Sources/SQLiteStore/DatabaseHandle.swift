internal import CSQLite

/// Owns the `sqlite3*` handle. Statements keep it alive, so the database closes only after the
/// last statement made on it is gone.
final class DatabaseHandle {
    let pointer: OpaquePointer
    let path: String

    /// Process-wide SQLite settings, applied once before the first connection opens.
    private static let configureOnce: Void = {
        _ = intake_sqlite3_disable_memory_statistics()
    }()

    init(path: String, flags: Int32) throws(SQLiteError) {
        _ = Self.configureOnce
        var pointer: OpaquePointer?
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard code == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            if let pointer { sqlite3_close_v2(pointer) }
            throw SQLiteError(code: code, message: message, path: path)
        }
        self.pointer = pointer
        self.path = path
        sqlite3_extended_result_codes(pointer, 1)
    }

    deinit {
        sqlite3_close_v2(pointer)
    }

    func error(code: Int32, sql: String?) -> SQLiteError {
        SQLiteError(
            code: code,
            extendedCode: sqlite3_extended_errcode(pointer),
            message: String(cString: sqlite3_errmsg(pointer)),
            sql: sql,
            path: path
        )
    }
}
