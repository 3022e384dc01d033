/// Applies numbered schema migrations once each, in order, recording them in `schema_migrations`.
///
/// A migration runs in the same transaction as its record, so a crash leaves it applied or not.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    public let migrations: [Migration]

    public init(_ migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies what is missing; returns the versions applied now.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Int] {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
            )
            """)
        var applied: [Int] = []
        for migration in migrations {
            let done = try connection.transaction {
                if try connection.fetchInt("SELECT 1 FROM schema_migrations WHERE version = ?", migration.version) != nil {
                    return true
                }
                try connection.execute(migration.sql)
                try connection.run("INSERT INTO schema_migrations(version, name) VALUES (?, ?)", migration.version, migration.name)
                return false
            }
            if !done { applied.append(migration.version) }
        }
        return applied
    }

    /// The highest version recorded in `connection`.
    public static func currentVersion(_ connection: Connection) throws -> Int {
        Int(try connection.fetchInt("SELECT max(version) FROM schema_migrations") ?? 0)
    }
}
