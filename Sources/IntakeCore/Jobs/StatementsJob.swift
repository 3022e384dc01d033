import Foundation
import SQLiteStore

/// Patient statements for a month (`intake statements --month YYYY-MM`, or scheduled): the
/// patient responsibility (PR adjustments: 1 deductible, 2 coinsurance, 3 co-payment) of the
/// remittances recorded that month, per patient: one CSV for the mailing house and a printable
/// HTML page per patient, in `outbox/staff/`.
struct StatementsJob: JobKind {
    var name: JobKindName { .statements }
    var stages: [Stage] { [.process, .deliver] }

    struct Line {
        var claimID: String
        var deductible: Int64 = 0
        var coinsurance: Int64 = 0
        var copay: Int64 = 0
        var other: Int64 = 0
        var total: Int64 { deductible + coinsurance + copay + other }
    }

    func run(_ context: JobContext) throws -> JobOutcome {
        let store = context.store
        let params = (try? JSONDecoder().decode([String: String].self, from: Data(context.job.params.utf8))) ?? [:]
        guard let month = params["month"], let first = CivilDate(iso: month + "-01") else {
            var outcome = JobOutcome(state: .failed, reason: "statements need a month YYYY-MM")
            outcome.errorCode = .internalError
            outcome.errorMessage = outcome.reason
            try store.transaction { try store.finish(job: context.job, outcome: outcome, fileState: "failed", now: epochNow()) }
            return outcome
        }
        let from = Double(first.dayNumber) * 86_400
        let to = from + Double(CivilDate.daysIn(month: first.month, year: first.year)) * 86_400
        var byPatient: [String: (partner: String, patient: String, lines: [Line])] = [:]
        for row in try store.connection.fetchAll("""
            SELECT p.partner, p.claim_id, coalesce(c.patient_id, p.patient_id, '?') AS patient, p.adjustments
            FROM remittance_payments p LEFT JOIN claims c ON c.id = p.claim_ref
            WHERE p.created_at >= ? AND p.created_at < ? AND p.patient_share_cents <> 0 ORDER BY p.partner, patient, p.claim_id, p.id
            """, from, to) {
            let adjustments = (try? JSONDecoder().decode([Adjustment].self, from: Data((row.string("adjustments") ?? "[]").utf8))) ?? []
            var line = Line(claimID: row.string("claim_id") ?? "")
            for adjustment in adjustments where adjustment.group == "PR" {
                switch adjustment.reason {
                case "1": line.deductible += adjustment.cents
                case "2": line.coinsurance += adjustment.cents
                case "3": line.copay += adjustment.cents
                default: line.other += adjustment.cents
                }
            }
            let partner = row.string("partner") ?? "", patient = row.string("patient") ?? "?"
            byPatient["\(partner)/\(patient)", default: (partner, patient, [])].lines.append(line)
        }
        let folder = "\(context.spool.staffOutbox)/statements-\(month)"
        var csv = CSVCell.row(["partner", "patient_id", "last_name", "first_name", "address_line", "city", "state", "zip", "claim_id",
                               "deductible", "coinsurance", "copay", "other", "line_total", "statement_total"])
        var outputs: [String] = []
        for key in byPatient.keys.sorted() {
            guard let entry = byPatient[key] else { continue }
            let person = try store.connection.fetchOne("SELECT * FROM patients WHERE partner = ? AND patient_id = ?", entry.partner, entry.patient)
            let fields = ["last_name", "first_name", "address_line", "city", "state", "zip"].map { person?.string($0) ?? "" }
            let total = entry.lines.reduce(0) { $0 + $1.total }
            for line in entry.lines {
                csv += CSVCell.row([entry.partner, entry.patient] + fields + [line.claimID, Money.format(cents: line.deductible), Money.format(cents: line.coinsurance),
                                    Money.format(cents: line.copay), Money.format(cents: line.other), Money.format(cents: line.total), Money.format(cents: total)])
            }
            let page = "\(folder)/\(entry.partner)-\(entry.patient.replacingOccurrences(of: "/", with: "_")).html"
            try AtomicFileWriter.write(Self.html(month: month, patient: entry.patient, person: fields, lines: entry.lines, total: total), to: page)
            outputs.append(context.spool.relative(page))
        }
        let csvPath = "\(context.spool.staffOutbox)/statements-\(month).csv"
        try AtomicFileWriter.write(csv, to: csvPath)
        outputs.insert(context.spool.relative(csvPath), at: 0)
        var outcome = JobOutcome(state: .succeeded, reason: "\(month): statements for \(byPatient.count) patient(s)")
        outcome.rowsRead = byPatient.count
        outcome.rowsLoaded = byPatient.count
        try store.transaction {
            try store.connection.run("UPDATE jobs SET outputs = ? WHERE id = ?", JSONText.encode(outputs), context.job.id)
            try store.finish(job: context.job, outcome: outcome, fileState: "done", now: epochNow())
        }
        return outcome
    }

    static func html(month: String, patient: String, person: [String], lines: [Line], total: Int64) -> String {
        let name = [person[1], person[0]].filter { !$0.isEmpty }.joined(separator: " ")
        let address = person[2...].filter { !$0.isEmpty }.joined(separator: ", ")
        var rows = ""
        for line in lines {
            rows += "<tr><td>\(htmlEscape(line.claimID))</td><td>\(Money.format(cents: line.deductible))</td><td>\(Money.format(cents: line.coinsurance))</td>"
                + "<td>\(Money.format(cents: line.copay))</td><td>\(Money.format(cents: line.other))</td><td>\(Money.format(cents: line.total))</td></tr>"
        }
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>Statement \(htmlEscape(month)) \(htmlEscape(patient))</title>
            <style>body{font-family:sans-serif;max-width:48em;margin:2em auto}td,th{padding:4px 8px;border-bottom:1px solid #ccc;text-align:right}
            td:first-child,th:first-child{text-align:left}@media print{body{margin:0}}</style></head><body>
            <h1>Statement for \(htmlEscape(month))</h1>
            <p><strong>\(htmlEscape(name.isEmpty ? "Member " + patient : name))</strong><br>\(htmlEscape(address))<br>Member ID \(htmlEscape(patient))</p>
            <table><tr><th>Claim</th><th>Deductible</th><th>Coinsurance</th><th>Co-pay</th><th>Other</th><th>Amount due</th></tr>
            \(rows)<tr><th>Total</th><td></td><td></td><td></td><td></td><th>\(Money.format(cents: total))</th></tr></table>
            <p>Your insurer has processed these claims; the amounts above are your share.</p>
            </body></html>

            """
    }
}
