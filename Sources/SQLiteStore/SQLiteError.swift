internal import CSQLite

/// An error reported by SQLite, with SQLite's own message and the statement that failed.
///
/// `code` is the primary result code (`SQLITE_BUSY` is 5, `SQLITE_CONSTRAINT` 19, `SQLITE_FULL` 13)
/// and `extendedCode` the extended one, so callers can tell a transient failure (busy, locked,
/// I/O, full disk) from a permanent one without parsing the message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let extendedCode: Int32
    public let message: String
    public let sql: String?
    public let path: String?

    public init(code: Int32, extendedCode: Int32? = nil, message: String, sql: String? = nil, path: String? = nil) {
        self.code = code & 0xff
        self.extendedCode = extendedCode ?? code
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// Another connection holds a lock for longer than the busy timeout.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// A UNIQUE, NOT NULL, CHECK or foreign key constraint refused the change.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    /// `sqlite3_interrupt` stopped the statement (cancellation or shutdown).
    public var isInterrupted: Bool { code == SQLITE_INTERRUPT }
    /// The disk or the database file is full.
    public var isDiskFull: Bool { code == SQLITE_FULL }
    /// Worth trying again later: contention, I/O trouble or a full disk, not a bad statement.
    public var isTransient: Bool {
        isBusy || isDiskFull || code == SQLITE_IOERR || code == SQLITE_PROTOCOL || code == SQLITE_CANTOPEN
    }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let path { text += " (database \(path))" }
        if let sql { text += " in SQL: \(sql)" }
        return text
    }
}
