internal import CSQLite

extension Connection {
    /// How a transaction takes its lock.
    public enum TransactionKind: String, Sendable {
        /// Takes the lock at the first write.
        case deferred = "DEFERRED"
        /// Takes the write lock at once, so a read-then-write cannot fail with `SQLITE_BUSY` midway.
        case immediate = "IMMEDIATE"
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws and
    /// rethrows the body's error (not the rollback's).
    ///
    /// Called inside a transaction, `body` joins it: one commit (one fsync) then covers both,
    /// and an error thrown by `body` reaches the outer transaction, which rolls back.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try execute("BEGIN \(kind.rawValue)")
        let value: T
        do {
            value = try body()
        } catch {
            rollbackIgnoringErrors()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackIgnoringErrors()
            throw error
        }
        return value
    }

    /// Runs `body` inside a savepoint: released when it returns, rolled back to when it throws.
    public func savepoint<T>(_ name: String, _ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT \(name)")
        do {
            let value = try body()
            try execute("RELEASE \(name)")
            return value
        } catch {
            try? execute("ROLLBACK TO \(name)")
            try? execute("RELEASE \(name)")
            throw error
        }
    }

    private func rollbackIgnoringErrors() {
        if isInTransaction { sqlite3_exec(database.pointer, "ROLLBACK", nil, nil, nil) }
    }
}
