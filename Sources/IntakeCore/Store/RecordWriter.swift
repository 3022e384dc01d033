import SQLiteStore

/// Upserts domain records by natural key: an identical row changes nothing, a changed row
/// updates, and each insert or update is logged in `record_changes` with its job and file.
struct RecordWriter {
    let connection: Connection
    let jobID: Int64
    let fileID: Int64?

    enum Change: Equatable { case inserted, updated, unchanged }

    /// `values` must include the key columns; `source_file_id` and `source_job_id` are added.
    func upsert(table: String, key: [String], values: [(String, SQLiteValue)]) throws -> Change {
        let names = values.map(\.0)
        let keyValues = key.map { name in values.first { $0.0 == name }?.1 ?? .null }
        let whereKey = key.map { "\($0) = ?" }.joined(separator: " AND ")
        let existing = try connection.fetchAll("SELECT \(names.joined(separator: ", ")) FROM \(table) WHERE \(whereKey)", arguments: keyValues).first
        let change: Change
        if let existing {
            guard zip(names, values).contains(where: { existing[$0] != $1.1 }) else { return .unchanged }
            let assignments = names.filter { !key.contains($0) }.map { "\($0) = ?" } + ["source_file_id = ?", "source_job_id = ?"]
            let updateValues: [any SQLiteBindable] = values.filter { !key.contains($0.0) }.map(\.1) + [fileID, jobID] + keyValues
            try connection.run("UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(whereKey)", arguments: updateValues)
            change = .updated
        } else {
            let placeholders = Array(repeating: "?", count: names.count + 2).joined(separator: ", ")
            let insertValues: [any SQLiteBindable] = values.map(\.1) + [fileID, jobID]
            try connection.run("INSERT INTO \(table)(\(names.joined(separator: ", ")), source_file_id, source_job_id) VALUES (\(placeholders))", arguments: insertValues)
            change = .inserted
        }
        try connection.run("INSERT INTO record_changes(at, table_name, record_key, action, job_id, file_id) VALUES (?, ?, ?, ?, ?, ?)",
                           epochNow(), table, keyValues.map(\.description).joined(separator: "/"), change == .inserted ? "insert" : "update", jobID, fileID)
        return change
    }
}

extension Connection {
    func run(_ sql: String, arguments: [any SQLiteBindable]) throws {
        let statement = try statement(sql)
        try statement.bind(arguments)
        try statement.run()
    }
}
