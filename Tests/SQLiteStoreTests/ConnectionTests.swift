import Foundation
import SQLiteStore
import Testing

@Suite("SQLite wrapper")
struct ConnectionTests {
    func makeConnection() throws -> Connection {
        let path = NSTemporaryDirectory() + "sqlite-\(UUID().uuidString).db"
        return try Connection(path: path)
    }

    @Test("a transaction rolls back when its body throws, and the body's error is rethrown")
    func transactionRollsBack() throws {
        let connection = try makeConnection()
        try connection.execute("CREATE TABLE t (x INTEGER)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (?)", 1)
                throw Boom()
            }
        }
        #expect(try connection.fetchInt("SELECT count(*) FROM t") == 0)
        try connection.transaction { try connection.run("INSERT INTO t VALUES (?)", 2) }
        #expect(try connection.fetchInt("SELECT sum(x) FROM t") == 2)
        #expect(!connection.isInTransaction)
    }

    @Test("errors carry SQLite's code, message and the SQL")
    func typedErrors() throws {
        let connection = try makeConnection()
        try connection.execute("CREATE TABLE t (x INTEGER UNIQUE)")
        try connection.run("INSERT INTO t VALUES (1)")
        do {
            try connection.run("INSERT INTO t VALUES (1)")
            Issue.record("a duplicate insert should fail")
        } catch {
            #expect(error.isConstraintViolation)
            #expect(error.sql == "INSERT INTO t VALUES (1)")
            #expect(error.message.contains("UNIQUE"))
        }
        #expect(throws: SQLiteError.self) { try connection.execute("SELEKT 1") }
    }

    @Test("prepared statements are reused from the cache")
    func statementCache() throws {
        let connection = try makeConnection()
        let first = try connection.statement("SELECT 1")
        let second = try connection.statement("SELECT 1")
        #expect(first === second)
    }

    @Test("migrations apply once, in order")
    func migrations() throws {
        let connection = try makeConnection()
        let migrator = Migrator([
            .init(version: 2, name: "b", sql: "ALTER TABLE a ADD COLUMN y INTEGER"),
            .init(version: 1, name: "a", sql: "CREATE TABLE a (x INTEGER)"),
        ])
        #expect(try migrator.migrate(connection) == [1, 2])
        #expect(try migrator.migrate(connection) == [])
        #expect(try Migrator.currentVersion(connection) == 2)
        try connection.run("INSERT INTO a(x, y) VALUES (1, 2)")
    }

    @Test("the database runs in WAL mode")
    func walMode() throws {
        let connection = try makeConnection()
        #expect(try connection.fetchOne("PRAGMA journal_mode")?.string("journal_mode") == "wal")
    }
}
