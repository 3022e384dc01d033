import Foundation
import SQLiteStore

/// Remittances (835 concepts): each payment is balanced (charge − paid = adjustments), matched
/// to its claim and put in a category: paid in full, short-paid, denied (status 4), reversed
/// (status 22, matched to the payment it reverses), duplicate payment, or unmatched. Matched
/// claims' balances move; PR adjustments are the patient's share (statements).
struct RemittanceApplier: RecordApplier {
    /// Per check (payer control number): payments added up, and the total the file declares.
    private var checks: [String: (paid: Int64, declared: Int64?, line: Int)] = [:]

    mutating func apply(_ record: CheckedRecord, _ context: ApplyContext) throws -> [RowError] {
        let connection = context.connection
        guard let payer = record.text("payer_id"), let control = record.text("payer_control_number"), let claimID = record.text("claim_id"),
              let status = record.text("status"), let charge = record.cents("charge_amount"), let paid = record.cents("paid_amount") else { return [] }
        let adjustments = record.adjustments("adjustments")
        let adjusted = adjustments.reduce(0) { $0 + $1.cents }
        var check = checks[control] ?? (0, nil, record.line)
        check.paid += paid
        if let total = record.cents("check_total") { check.declared = total }
        checks[control] = check
        guard charge - paid == adjusted else {
            return [rowError(record, field: "adjustments", .unbalanced,
                             "claim \(claimID) does not balance: charge \(Money.format(cents: charge)) − paid \(Money.format(cents: paid)) = \(Money.format(cents: charge - paid)) expected in adjustments, but they add up to \(Money.format(cents: adjusted))",
                             value: "expected \(Money.format(cents: charge - paid)), actual \(Money.format(cents: adjusted))")]
        }
        let adjustmentsJSON = JSONText.encode(adjustments)
        if let existing = try connection.fetchOne("SELECT charge_cents, paid_cents, adjustments FROM remittance_payments WHERE partner = ? AND payer_control_number = ? AND claim_id = ? AND status = ?",
                                                  context.partner, control, claimID, status) {
            let same = existing.int64("charge_cents") == charge && existing.int64("paid_cents") == paid && existing.string("adjustments") == adjustmentsJSON
            return same ? [] : [rowError(record, field: "payer_control_number", .duplicateRecord,
                                         "payment \(control) for claim \(claimID) (status \(status)) was already recorded with other amounts", value: control)]
        }
        let claim = try connection.fetchOne("SELECT id FROM claims WHERE partner = ? AND claim_id = ? ORDER BY id DESC LIMIT 1", context.partner, claimID)
        let claimRef = claim?.int64("id")
        let patientShare = adjustments.filter { $0.group == "PR" }.reduce(0) { $0 + $1.cents }
        var reverses: Int64?
        let category: String
        if status == "22" {
            reverses = try connection.fetchOne("""
                SELECT id FROM remittance_payments p WHERE partner = ? AND claim_id = ? AND status IN ('1', '2', '3') AND paid_cents = ?
                  AND NOT EXISTS (SELECT 1 FROM remittance_payments r WHERE r.reverses_id = p.id) ORDER BY id DESC LIMIT 1
                """, context.partner, claimID, -paid)?.int64("id")
            category = reverses == nil ? "unmatched" : "reversed"
        } else if claimRef == nil {
            category = "unmatched"
        } else if status == "4" {
            category = "denied"
        } else if try connection.fetchInt("""
            SELECT 1 FROM remittance_payments p WHERE partner = ? AND claim_id = ? AND status IN ('1', '2', '3')
              AND NOT EXISTS (SELECT 1 FROM remittance_payments r WHERE r.reverses_id = p.id) LIMIT 1
            """, context.partner, claimID) != nil {
            category = "duplicate_payment"
        } else {
            category = paid == charge ? "paid_in_full" : "short_paid"
        }
        try connection.run("""
            INSERT INTO remittance_payments(partner, payer_id, payer_control_number, claim_id, patient_id, status, charge_cents, paid_cents, adjustments,
                patient_share_cents, category, claim_ref, reverses_id, job_id, file_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, context.partner, payer, control, claimID, record.text("patient_id"), status, charge, paid, adjustmentsJSON,
            patientShare, category, claimRef, reverses, context.jobID, context.fileID, epochNow())
        if let claimRef, category != "unmatched" {
            try connection.run("""
                UPDATE claims SET paid_cents = paid_cents + ?, adjustment_cents = adjustment_cents + ?, patient_cents = patient_cents + ?, payment_status = ?
                WHERE id = ?
                """, paid, adjusted - patientShare, patientShare, category, claimRef)
        }
        try connection.run("INSERT INTO record_changes(at, table_name, record_key, action, job_id, file_id) VALUES (?, 'remittance_payments', ?, 'insert', ?, ?)",
                           epochNow(), "\(context.partner)/\(control)/\(claimID)/\(status)", context.jobID, context.fileID)
        return []
    }

    mutating func finish(_ context: ApplyContext) throws -> [RowError] {
        checks.sorted { $0.key < $1.key }.compactMap { control, check in
            guard let declared = check.declared, declared != check.paid else { return nil }
            return RowError(line: check.line, record: 0, byteOffset: 0, column: 0, field: "check_total", code: .checkTotalMismatch,
                            message: "check \(control): payments add up to \(Money.format(cents: check.paid)) but the file's total is \(Money.format(cents: declared))",
                            value: "expected \(Money.format(cents: declared)), actual \(Money.format(cents: check.paid))")
        }
    }
}
