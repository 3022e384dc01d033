import Foundation
import Synchronization
import SQLiteStore

/// The exports and reports an accepted file produces, written at delivery from the database,
/// so a redelivery after a crash writes the same files again.
enum DomainOutputs {
    /// Returns the outputs (relative paths). Claim batches are left under their temp names in
    /// `unpublished`, for the caller to publish with the job's manifests in one sync.
    static func write(job: JobRecord, file: FileRecord, store: IntakeStore, unpublished: inout [StreamingFileWriter]) throws -> [String] {
        guard job.state.isAccepted else { return [] }
        switch JobKindName(rawValue: job.kind) {
        case .claimsImport: return try claimBatches(job: job, file: file, store: store, unpublished: &unpublished)
        case .remittanceImport: return try reconciliation(job: job, file: file, store: store)
        case .inventoryCountImport: return try inventoryReports(job: job, file: file, store: store)
        default: return []
        }
    }

    private static func stem(_ file: FileRecord) -> String {
        (file.name as NSString).deletingPathExtension.replacingOccurrences(of: "!", with: "_")
    }

    /// Accepted claim lines grouped per payer: a CSV and an XML batch per payer, streamed from
    /// the database (rows ordered by payer), so memory stays flat for a million lines. The files
    /// are written by two threads at once, each reading through a read-only connection of its
    /// own (the load is committed, so both see all of it).
    static func claimBatches(job: JobRecord, file: FileRecord, store: IntakeStore, unpublished: inout [StreamingFileWriter]) throws -> [String] {
        // Payers with their line counts (the covering index answers it), biggest first: two
        // threads take them in turn, so both stay busy to the end.
        let payers = try store.connection.fetchAll("""
            SELECT c.payer_id AS payer, count(*) AS n FROM claims c WHERE c.job_id = ? GROUP BY c.payer_id
            """, job.id).compactMap { row in row.string("payer").map { ($0, row.int64("n") ?? 0) } }
        let order = payers.sorted { $0.1 > $1.1 }.map(\.0)
        func base(_ payer: String) -> String {
            let safePayer = String(payer.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
            return "\(store.spool.outbox(partner: file.partner))/claim-batch-\(safePayer)-job\(job.id)"
        }
        let items = order.map { (payer: $0, base: base($0)) }
        /// In payer order, CSV then XML, whatever order the files were written in.
        func listed() -> [String] {
            payers.map(\.0).sorted().flatMap { payer in ClaimBatchFormat.allCases.map { store.spool.relative(base(payer) + "." + $0.rawValue) } }
        }
        // A small file's batches are written here, on the worker's connection: two threads and
        // two connections cost more than they save below a few thousand lines.
        if payers.reduce(0, { $0 + $1.1 }) < 5_000 {
            let writer = ClaimBatchWriter(jobID: job.id, connection: store.connection)
            for item in items { unpublished += try writer.write(payer: item.payer, to: item.base) }
            return listed()
        }
        // The worker's connection still caches the pages the load wrote; the two readers
        // below do not use them. Handing them back keeps the export's peak memory down.
        store.connection.releaseCachedMemory()
        let databasePath = store.connection.path
        let nextItem = Atomic<Int>(0)
        let failures = Mutex<[any Error]>([])
        let written = Mutex<[Handover<StreamingFileWriter>]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            do {
                var options = Connection.Options()
                options.readOnly = true
                options.cacheKiB = 2_048 // rows are read once, in index order
                let connection = try Connection(path: databasePath, options: options)
                let writer = ClaimBatchWriter(jobID: job.id, connection: connection)
                while true {
                    let index = nextItem.add(1, ordering: .relaxed).oldValue
                    guard index < items.count, failures.withLock({ $0.isEmpty }) else { break }
                    let files = try writer.write(payer: items[index].payer, to: items[index].base)
                    written.withLock { $0 += files.map { Handover(value: $0) } }
                }
            } catch {
                failures.withLock { $0.append(error) }
            }
        }
        // Both threads are done with their files: they come back to this one, in payer order.
        let files = written.withLock { $0.map(\.value) }.sorted { $0.path < $1.path }
        if let failure = failures.withLock({ $0.first }) { throw failure }
        unpublished += files
        return listed()
    }

    /// Every remitted claim of the file with its category and amounts.
    static func reconciliation(job: JobRecord, file: FileRecord, store: IntakeStore) throws -> [String] {
        var csv = CSVCell.row(["payer_control_number", "claim_id", "status", "category", "charge", "paid", "adjustments", "contractual", "patient_share",
                               "reverses_payment", "claim_paid_total", "claim_patient_total"])
        for row in try store.connection.fetchAll("""
            SELECT p.*, c.paid_cents AS claim_paid, c.patient_cents AS claim_patient,
                   (SELECT r.payer_control_number FROM remittance_payments r WHERE r.id = p.reverses_id) AS reversed_control
            FROM remittance_payments p LEFT JOIN claims c ON c.id = p.claim_ref WHERE p.job_id = ? ORDER BY p.id
            """, job.id) {
            let adjustments = (try? JSONDecoder().decode([Adjustment].self, from: Data((row.string("adjustments") ?? "[]").utf8))) ?? []
            let contractual = adjustments.filter { $0.group == "CO" }.reduce(0) { $0 + $1.cents }
            csv += CSVCell.row([row.string("payer_control_number") ?? "", row.string("claim_id") ?? "", row.string("status") ?? "", row.string("category") ?? "",
                                Money.format(cents: row.int64("charge_cents") ?? 0), Money.format(cents: row.int64("paid_cents") ?? 0),
                                adjustments.map { "\($0.code):\(Money.format(cents: $0.cents))" }.joined(separator: ";"),
                                Money.format(cents: contractual), Money.format(cents: row.int64("patient_share_cents") ?? 0),
                                row.string("reversed_control") ?? "", row.int64("claim_paid").map { Money.format(cents: $0) } ?? "",
                                row.int64("claim_patient").map { Money.format(cents: $0) } ?? ""])
        }
        let path = "\(store.spool.outbox(partner: file.partner))/reconciliation-\(stem(file)).csv"
        try AtomicFileWriter.write(csv, to: path)
        return [store.spool.relative(path)]
    }

    /// The count against stock on hand (missing, surplus, unknown item, unknown serial), and
    /// the items below their reorder point with the quantity up to their maximum level.
    static func inventoryReports(job: JobRecord, file: FileRecord, store: IntakeStore) throws -> [String] {
        let partner = file.partner
        let connection = store.connection
        var variance = CSVCell.row(["warehouse_id", "item_id", "serial_number", "on_hand", "counted", "difference", "finding"])
        let counts = try connection.fetchAll("SELECT * FROM inventory_counts WHERE job_id = ? ORDER BY warehouse_id, item_id, serial_number", job.id)
        let warehouses = Set(counts.compactMap { $0.string("warehouse_id") })
        for warehouse in warehouses.sorted() {
            let counted = counts.filter { $0.string("warehouse_id") == warehouse }
            var countedByItem: [String: Int] = [:]
            var countedSerials: [String: Set<String>] = [:]
            for row in counted {
                guard let item = row.string("item_id") else { continue }
                countedByItem[item, default: 0] += row.int("counted_quantity") ?? 0
                if let serial = row.string("serial_number") { countedSerials[item, default: []].insert(serial) }
            }
            let onHand = try connection.fetchAll("SELECT item_id, quantity FROM stock_on_hand WHERE partner = ? AND warehouse_id = ?", partner, warehouse)
            var onHandByItem: [String: Int] = [:]
            for row in onHand { onHandByItem[row.string("item_id") ?? ""] = row.int("quantity") ?? 0 }
            for item in Set(countedByItem.keys).union(onHandByItem.keys).sorted() {
                let known = try connection.fetchOne("SELECT serialized FROM items WHERE partner = ? AND item_id = ?", partner, item)
                let have = onHandByItem[item] ?? 0, got = countedByItem[item] ?? 0
                guard let known else {
                    variance += CSVCell.row([warehouse, item, "", String(have), String(got), String(got - have), "unknown_item"])
                    continue
                }
                if known.int("serialized") == 1 {
                    let serialsOnHand = Set(try connection.fetchAll("SELECT serial_number FROM serials_on_hand WHERE partner = ? AND warehouse_id = ? AND item_id = ?",
                                                                    partner, warehouse, item).compactMap { $0.string("serial_number") })
                    let seen = countedSerials[item] ?? []
                    for serial in serialsOnHand.subtracting(seen).sorted() {
                        variance += CSVCell.row([warehouse, item, serial, "1", "0", "-1", "missing"])
                    }
                    for serial in seen.subtracting(serialsOnHand).sorted() {
                        variance += CSVCell.row([warehouse, item, serial, "0", "1", "1", "unknown_serial"])
                    }
                } else if got < have {
                    variance += CSVCell.row([warehouse, item, "", String(have), String(got), String(got - have), "missing"])
                } else if got > have {
                    variance += CSVCell.row([warehouse, item, "", String(have), String(got), String(got - have), "surplus"])
                }
            }
        }
        var reorder = CSVCell.row(["warehouse_id", "item_id", "description", "on_hand", "reorder_point", "max_level", "order_quantity", "unit_cost", "line_cost"])
        for row in try connection.fetchAll("""
            SELECT s.warehouse_id, i.item_id, i.description, s.quantity, i.reorder_point, i.max_level, i.unit_cost_cents
            FROM items i JOIN stock_on_hand s ON s.partner = i.partner AND s.item_id = i.item_id
            WHERE i.partner = ? AND s.quantity < i.reorder_point ORDER BY s.warehouse_id, i.item_id
            """, partner) {
            let quantity = (row.int("max_level") ?? 0) - (row.int("quantity") ?? 0)
            guard quantity > 0 else { continue }
            let cost = row.int64("unit_cost_cents")
            reorder += CSVCell.row([row.string("warehouse_id") ?? "", row.string("item_id") ?? "", row.string("description") ?? "",
                                    row.string("quantity") ?? "0", row.string("reorder_point") ?? "", row.string("max_level") ?? "", String(quantity),
                                    cost.map { Money.format(cents: $0) } ?? "", cost.map { Money.format(cents: $0 * Int64(quantity)) } ?? ""])
        }
        let base = store.spool.outbox(partner: partner)
        try AtomicFileWriter.write(variance, to: "\(base)/variance-\(stem(file)).csv")
        try AtomicFileWriter.write(reorder, to: "\(base)/reorder-\(stem(file)).csv")
        return [store.spool.relative("\(base)/variance-\(stem(file)).csv"), store.spool.relative("\(base)/reorder-\(stem(file)).csv")]
    }
}

extension SQLiteValue {
    /// The value as text for an export: integers in decimal, NULL empty.
    var text: String {
        switch self {
        case .null: return ""
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        case .text(let value): return value
        }
    }
}
