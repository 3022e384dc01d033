import SQLiteStore

/// What an applier may use while a file's records are loaded (inside the load transaction).
struct ApplyContext {
    let connection: Connection
    let writer: RecordWriter
    let partner: String
    let jobID: Int64
    let fileID: Int64?
}

/// Loads one layout's checked records into its tables. Returns row errors for a record it
/// refuses (a rule that needs the database), none when it took the record.
protocol RecordApplier {
    mutating func apply(_ record: CheckedRecord, _ context: ApplyContext) throws -> [RowError]
    /// File-level checks once every record is in (check totals).
    mutating func finish(_ context: ApplyContext) throws -> [RowError]
}

extension RecordApplier {
    mutating func finish(_ context: ApplyContext) throws -> [RowError] { [] }
}

func rowError(_ record: CheckedRecord, field: String, _ code: ErrorCode, _ message: String, value: String = "") -> RowError {
    RowError(line: record.line, record: record.record, byteOffset: record.byteOffset, column: 0, field: field, code: code, message: message, value: value)
}

/// Master data (patients, payers, rentals, fee schedules, items): upsert by natural key.
struct UpsertApplier: RecordApplier {
    let table: String
    let key: [String]
    /// Column name and stored value for each field of the record.
    let columns: (CheckedRecord) -> [(String, SQLiteValue)]

    mutating func apply(_ record: CheckedRecord, _ context: ApplyContext) throws -> [RowError] {
        _ = try context.writer.upsert(table: table, key: key, values: [("partner", .text(context.partner))] + columns(record))
        return []
    }

    static func appliers(for kind: JobKindName) -> UpsertApplier? {
        func text(_ record: CheckedRecord, _ name: String) -> SQLiteValue { record.text(name).map(SQLiteValue.text) ?? .null }
        func cents(_ record: CheckedRecord, _ name: String) -> SQLiteValue { record.cents(name).map(SQLiteValue.integer) ?? .null }
        func integer(_ record: CheckedRecord, _ name: String) -> SQLiteValue { record.integer(name).map { .integer(Int64($0)) } ?? .null }
        func flag(_ record: CheckedRecord, _ name: String) -> SQLiteValue { record.flag(name).map { .integer($0 ? 1 : 0) } ?? .null }
        switch kind {
        case .patientsImport:
            return UpsertApplier(table: "patients", key: ["partner", "patient_id"]) { record in
                ["patient_id", "last_name", "first_name", "dob", "payer_id", "address_line", "city", "state", "zip"].map { ($0, text(record, $0)) }
            }
        case .payersImport:
            return UpsertApplier(table: "payers", key: ["partner", "payer_id"]) { record in
                ["payer_id", "name", "kind"].map { ($0, text(record, $0)) }
            }
        case .rentalsImport:
            return UpsertApplier(table: "rentals", key: ["partner", "rental_id"]) { record in
                ["rental_id", "patient_id", "payer_id", "hcpcs", "serial_number", "start_date", "status", "status_date", "pause_start", "pause_end", "billing_npi"]
                    .map { ($0, text(record, $0)) } + [("purchase_price_cents", cents(record, "purchase_price")), ("fee_schedule", flag(record, "fee_schedule"))]
            }
        case .feeScheduleImport:
            return UpsertApplier(table: "fee_schedules", key: ["partner", "payer_id", "hcpcs", "modifier"]) { record in
                [("payer_id", text(record, "payer_id")), ("hcpcs", text(record, "hcpcs")),
                 ("modifier", .text(record.text("modifier").map(asciiUppercased) ?? "")), ("allowed_cents", cents(record, "allowed_amount"))]
            }
        case .itemsImport:
            return UpsertApplier(table: "items", key: ["partner", "item_id"]) { record in
                [("item_id", text(record, "item_id")), ("description", text(record, "description")), ("hcpcs", text(record, "hcpcs")),
                 ("serialized", flag(record, "serialized")), ("reorder_point", integer(record, "reorder_point")),
                 ("max_level", integer(record, "max_level")), ("unit_cost_cents", cents(record, "unit_cost"))]
            }
        default:
            return nil
        }
    }
}

/// Stock movements: events, recorded once by id; each updates stock on hand (and, for
/// serialized items, where each serial is).
struct StockMovementApplier: RecordApplier {
    mutating func apply(_ record: CheckedRecord, _ context: ApplyContext) throws -> [RowError] {
        let connection = context.connection
        guard let id = record.text("movement_id"), let warehouse = record.text("warehouse_id"), let item = record.text("item_id"),
              let kind = record.text("kind"), let quantity = record.integer("quantity"), let date = record.text("movement_date") else { return [] }
        let serial = record.text("serial_number")
        if let existing = try connection.fetchOne("SELECT * FROM stock_movements WHERE partner = ? AND movement_id = ?", context.partner, id) {
            let same = existing.string("warehouse_id") == warehouse && existing.string("item_id") == item && existing.string("kind") == kind
                && existing.int("quantity") == quantity && existing.string("serial_number") == serial
            return same ? [] : [rowError(record, field: "movement_id", .duplicateRecord, "movement \(id) was already recorded with other values; send a new movement to correct it", value: id)]
        }
        guard let itemRow = try connection.fetchOne("SELECT serialized FROM items WHERE partner = ? AND item_id = ?", context.partner, item) else {
            return [rowError(record, field: "item_id", .unknownItem, "item \(item) is not in the item master (send it in an items file first)", value: item)]
        }
        if itemRow.int("serialized") == 1 && serial == nil {
            return [rowError(record, field: "serial_number", .serialRequired, "item \(item) is serialized: each movement names its serial number")]
        }
        if kind != "adjustment" && quantity <= 0 {
            return [rowError(record, field: "quantity", .valueRange, "quantity must be positive for a \(kind)", value: String(quantity))]
        }
        let delta = kind == "shipment" ? -quantity : quantity
        try connection.run("""
            INSERT INTO stock_movements(partner, movement_id, warehouse_id, item_id, kind, quantity, serial_number, movement_date, job_id, file_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, context.partner, id, warehouse, item, kind, quantity, serial, date, context.jobID, context.fileID)
        try connection.run("""
            INSERT INTO stock_on_hand(partner, warehouse_id, item_id, quantity) VALUES (?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET quantity = quantity + excluded.quantity
            """, context.partner, warehouse, item, delta)
        if let serial {
            if delta > 0 {
                try connection.run("INSERT INTO serials_on_hand(partner, serial_number, warehouse_id, item_id) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET warehouse_id = excluded.warehouse_id, item_id = excluded.item_id",
                                   context.partner, serial, warehouse, item)
            } else {
                try connection.run("DELETE FROM serials_on_hand WHERE partner = ? AND serial_number = ?", context.partner, serial)
            }
        }
        try connection.run("INSERT INTO record_changes(at, table_name, record_key, action, job_id, file_id) VALUES (?, 'stock_movements', ?, 'insert', ?, ?)",
                           epochNow(), "\(context.partner)/\(id)", context.jobID, context.fileID)
        return []
    }
}

/// Inventory counts: kept with the job; the variance and reorder reports are made from them at
/// delivery.
struct InventoryCountApplier: RecordApplier {
    mutating func apply(_ record: CheckedRecord, _ context: ApplyContext) throws -> [RowError] {
        try context.connection.run("""
            INSERT INTO inventory_counts(job_id, partner, warehouse_id, item_id, serial_number, counted_quantity, count_date) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, context.jobID, context.partner, record.text("warehouse_id"), record.text("item_id"), record.text("serial_number"),
            record.integer("counted_quantity") ?? 0, record.text("count_date"))
        return []
    }
}
