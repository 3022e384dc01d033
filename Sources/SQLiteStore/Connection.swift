internal import CSQLite

/// One SQLite connection with the settings Intake runs with.
///
/// Not `Sendable`: one owner uses a connection at a time (a worker slot, the supervisor, or a
/// command). Statements are prepared once per SQL text and reused from a cache.
public final class Connection {
    let database: DatabaseHandle
    private var statementCache: [String: Statement] = [:]
    public var path: String { database.path }

    /// How a connection opens its file.
    public struct Options: Sendable {
        public var readOnly = false
        /// How long a writer waits for another connection's lock before `SQLITE_BUSY`.
        public var busyTimeoutMilliseconds: Int32 = 30_000
        /// WAL lets readers (status commands) run beside the one writer.
        public var journalModeWAL = true
        /// `NORMAL` in WAL is durable across application crashes; `FULL` also across power loss.
        public var synchronous = "FULL"
        /// Page cache per connection, in KiB.
        public var cacheKiB = 8_192
        /// WAL pages after which a commit copies the WAL back into the database. SQLite's 1,000
        /// made every 60th job commit a checkpoint (two more fsyncs, the same hot pages copied
        /// again and again): a fifth of the queue's time. 8,192 pages is a 32 MiB WAL.
        public var walAutocheckpointPages = 8_192
        public init() {}
    }

    public init(path: String, options: Options = Options()) throws(SQLiteError) {
        let flags = options.readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        database = try DatabaseHandle(path: path, flags: flags)
        intake_sqlite3_set_busy_handler(database.pointer, options.busyTimeoutMilliseconds)
        if options.journalModeWAL && !options.readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA wal_autocheckpoint=\(options.walAutocheckpointPages)")
        }
        try execute("PRAGMA synchronous=\(options.synchronous)")
        try execute("PRAGMA foreign_keys=ON")
        // A bulk load touches many pages; a larger cache keeps them out of the WAL until commit.
        try execute("PRAGMA cache_size=-\(options.cacheKiB)")
    }

    /// Runs one or more statements that take no parameters and return nothing of interest.
    public func execute(_ sql: String) throws(SQLiteError) {
        let code = sqlite3_exec(database.pointer, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw database.error(code: code, sql: sql) }
    }

    /// The cached prepared statement for `sql`, reset and with bindings cleared.
    public func statement(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = statementCache[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(database: database, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Runs `sql` with `arguments` (INSERT, UPDATE, DELETE).
    public func run(_ sql: String, _ arguments: any SQLiteBindable...) throws(SQLiteError) {
        let statement = try statement(sql)
        try statement.bind(arguments)
        try statement.run()
    }

    /// All rows of a query.
    public func fetchAll(_ sql: String, _ arguments: any SQLiteBindable...) throws(SQLiteError) -> [Row] {
        let statement = try statement(sql)
        try statement.bind(arguments)
        return try statement.fetchAll()
    }

    public func fetchAll(_ sql: String, arguments: [any SQLiteBindable]) throws(SQLiteError) -> [Row] {
        let statement = try statement(sql)
        try statement.bind(arguments)
        return try statement.fetchAll()
    }

    /// The first row of a query, or `nil`.
    public func fetchOne(_ sql: String, _ arguments: any SQLiteBindable...) throws(SQLiteError) -> Row? {
        let statement = try statement(sql)
        try statement.bind(arguments)
        return try statement.fetchAll().first
    }

    /// The first column of the first row as an integer (COUNT, MAX, ...), or `nil`.
    public func fetchInt(_ sql: String, _ arguments: any SQLiteBindable...) throws(SQLiteError) -> Int64? {
        let statement = try statement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        if case .null = statement.value(at: 0) { return nil }
        return statement.int64(at: 0)
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(database.pointer) }
    public var changes: Int { Int(sqlite3_changes(database.pointer)) }
    /// Frees the page cache's unused pages (`sqlite3_db_release_memory`), for a connection
    /// that is about to sit idle while others work.
    public func releaseCachedMemory() {
        sqlite3_db_release_memory(database.pointer)
    }

    public var isInTransaction: Bool { sqlite3_get_autocommit(database.pointer) == 0 }

    /// A handle that may stop this connection's running statement from another thread.
    public func makeInterrupter() -> Interrupter { Interrupter(database: database) }
}

/// Calls `sqlite3_interrupt`, which SQLite documents as safe from any thread while the
/// connection is open. Holding the handle keeps the connection open.
public final class Interrupter: @unchecked Sendable {
    private let database: DatabaseHandle
    init(database: DatabaseHandle) { self.database = database }
    public func interrupt() { sqlite3_interrupt(database.pointer) }
}

extension Connection {
    /// Calls `body` with each row of a query as it is stepped, so a large result never sits in
    /// memory at once.
    public func forEachRow(_ sql: String, _ arguments: any SQLiteBindable..., body: (Row) throws -> Void) throws {
        let statement = try statement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        let names = statement.columnNames
        while try statement.step() {
            try body(Row(columns: names, values: (0..<Int32(names.count)).map(statement.value(at:))))
        }
    }
}
