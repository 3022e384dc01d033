import Foundation
import SQLiteStore

/// The exports and reports an accepted file produces, written at delivery from the database,
/// so a redelivery after a crash writes the same files again.
enum DomainOutputs {
    static func write(job: JobRecord, file: FileRecord, store: IntakeStore) throws -> [String] {
        guard job.state.isAccepted else { return [] }
        switch JobKindName(rawValue: job.kind) {
        case .claimsImport: return try claimBatches(job: job, file: file, store: store)
        case .remittanceImport: return try reconciliation(job: job, file: file, store: store)
        case .inventoryCountImport: return try inventoryReports(job: job, file: file, store: store)
        default: return []
        }
    }

    private static func stem(_ file: FileRecord) -> String {
        (file.name as NSString).deletingPathExtension.replacingOccurrences(of: "!", with: "_")
    }

    /// Accepted claim lines grouped per payer: a CSV and an XML batch per payer, streamed from
    /// the database (rows ordered by payer), so memory stays flat for a million lines.
    static func claimBatches(job: JobRecord, file: FileRecord, store: IntakeStore) throws -> [String] {
        let columns = ["claim_id", "line_no", "patient_id", "patient_last", "patient_first", "dob", "billing_npi", "hcpcs", "modifiers", "icd10",
                       "dos_from", "dos_to", "units", "charge_amount"]
        var outputs: [String] = []
        var current: (payer: String, csv: StreamingFileWriter, xml: StreamingFileWriter, base: String, total: Int64, lines: Int)?
        func close() throws {
            guard let batch = current else { return }
            try batch.xml.write("  <total_charge>\(Money.format(cents: batch.total))</total_charge>\n  <line_count>\(batch.lines)</line_count>\n</claim_batch>\n")
            try batch.csv.finish()
            try batch.xml.finish()
            outputs += [store.spool.relative(batch.base + ".csv"), store.spool.relative(batch.base + ".xml")]
            current = nil
        }
        // One payer at a time, in index order (no sort of the whole file in memory); selected in
        // the order of `columns` after payer_id, so values are read by position.
        var payers: [String] = []
        var nextPayer = try store.connection.fetchOne("SELECT min(payer_id) AS p FROM claims WHERE job_id = ?", job.id)?.string("p")
        while let payer = nextPayer {
            payers.append(payer)
            nextPayer = try store.connection.fetchOne("SELECT min(payer_id) AS p FROM claims WHERE job_id = ? AND payer_id > ?", job.id, payer)?.string("p")
        }
        // Rows go from SQLite's buffers straight into the files' buffers, escaped byte by byte:
        // a String per value made this export cost as much as the load itself.
        let statement = try store.connection.statement("""
            SELECT c.payer_id, c.claim_id, l.line_no, c.patient_id, c.patient_last, c.patient_first, c.dob, c.billing_npi,
                   l.hcpcs, l.modifiers, l.icd10, l.dos_from, l.dos_to, l.units, l.charge_cents
            FROM claims c JOIN service_lines l ON l.claim_ref = c.id WHERE c.job_id = ? AND c.payer_id = ? ORDER BY c.id, l.line_no
            """)
        let openTags = columns.map { Array("<\($0)>".utf8) }, closeTags = columns.map { Array("</\($0)>".utf8) }
        for payer in payers {
            defer { statement.reset() }
            try statement.bind(job.id, at: 1)
            try statement.bind(payer, at: 2)
            try close()
            let safePayer = String(payer.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
            let base = "\(store.spool.outbox(partner: file.partner))/claim-batch-\(safePayer)-job\(job.id)"
            let csv = try StreamingFileWriter(path: base + ".csv")
            let xml = try StreamingFileWriter(path: base + ".xml")
            try csv.write(CSVCell.row(["payer_id"] + columns))
            try xml.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<claim_batch payer_id=\"\(htmlEscape(payer))\" job_id=\"\(job.id)\">\n")
            current = (payer, csv, xml, base, 0, 0)
            while try statement.step() {
                let cents = statement.int64(at: 14)
                let amount = Array(Money.format(cents: cents).utf8)
                current?.total += cents
                current?.lines += 1
                try csv.append { out in
                    for column in Int32(0)..<14 {
                        if column > 0 { out.append(UInt8(ascii: ",")) }
                        statement.withUTF8(at: column) { EscapedBytes.appendCSVCell($0, to: &out) }
                    }
                    out.append(UInt8(ascii: ","))
                    amount.withUnsafeBufferPointer { EscapedBytes.appendCSVCell($0, to: &out) }
                    out.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
                }
                try xml.append { out in
                    out.append(contentsOf: "  <line>".utf8)
                    for (index, column) in (Int32(1)..<14).enumerated() {
                        out.append(contentsOf: openTags[index])
                        statement.withUTF8(at: column) { EscapedBytes.appendXMLText($0, to: &out) }
                        out.append(contentsOf: closeTags[index])
                    }
                    out.append(contentsOf: openTags[13])
                    amount.withUnsafeBufferPointer { EscapedBytes.appendXMLText($0, to: &out) }
                    out.append(contentsOf: closeTags[13])
                    out.append(contentsOf: "</line>\n".utf8)
                }
            }
        }
        try close()
        return outputs
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
