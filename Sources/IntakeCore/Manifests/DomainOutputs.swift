import Foundation
import SQLiteStore

/// The exports and reports an accepted file produces, written at delivery from the database,
/// so a redelivery after a crash writes the same files again.
enum DomainOutputs {
    static func write(job: JobRecord, file: FileRecord, store: IntakeStore) throws -> [String] {
        guard job.state.isAccepted || job.kind == JobKindName.inventoryCountImport.rawValue && job.state != .rejected else { return [] }
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

    /// Accepted claim lines grouped per payer: a CSV and an XML batch per payer.
    static func claimBatches(job: JobRecord, file: FileRecord, store: IntakeStore) throws -> [String] {
        let rows = try store.connection.fetchAll("""
            SELECT c.payer_id, c.payer_name, c.claim_id, c.patient_id, c.patient_last, c.patient_first, c.dob, c.billing_npi,
                   l.line_no, l.hcpcs, l.modifiers, l.icd10, l.dos_from, l.dos_to, l.units, l.charge_cents
            FROM claims c JOIN service_lines l ON l.claim_ref = c.id WHERE c.job_id = ? ORDER BY c.payer_id, c.claim_id, l.line_no
            """, job.id)
        let columns = ["claim_id", "line_no", "patient_id", "patient_last", "patient_first", "dob", "billing_npi", "hcpcs", "modifiers", "icd10",
                       "dos_from", "dos_to", "units", "charge_amount"]
        var outputs: [String] = []
        let byPayer = Dictionary(grouping: rows) { $0.string("payer_id") ?? "" }
        for payer in byPayer.keys.sorted() {
            guard let lines = byPayer[payer] else { continue }
            let safePayer = payer.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
            let base = "\(store.spool.outbox(partner: file.partner))/claim-batch-\(String(safePayer))-job\(job.id)"
            var csv = CSVCell.row(["payer_id"] + columns)
            var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<claim_batch payer_id=\"\(htmlEscape(payer))\" job_id=\"\(job.id)\" lines=\"\(lines.count)\">\n"
            var total: Int64 = 0
            for line in lines {
                let values = columns.map { column -> String in
                    column == "charge_amount" ? Money.format(cents: line.int64("charge_cents") ?? 0) : (line.string(column) ?? "")
                }
                total += line.int64("charge_cents") ?? 0
                csv += CSVCell.row([payer] + values)
                xml += "  <line>" + zip(columns, values).map { "<\($0)>\(htmlEscape($1))</\($0)>" }.joined() + "</line>\n"
            }
            xml += "  <total_charge>\(Money.format(cents: total))</total_charge>\n</claim_batch>\n"
            try AtomicFileWriter.write(csv, to: base + ".csv")
            try AtomicFileWriter.write(xml, to: base + ".xml")
            outputs += [store.spool.relative(base + ".csv"), store.spool.relative(base + ".xml")]
        }
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
