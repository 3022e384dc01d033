import Foundation
import SQLiteStore

/// Monthly rental billing (`intake bill --month YYYY-MM`, or scheduled): for every rental, the
/// month's claim line with the right modifiers and amount, none past the cap, none for paused or
/// returned rentals, and a long break flagged for new documentation. Each (rental, month) is
/// recorded once, so running the same month again creates nothing new.
struct RentalBillingJob: JobKind {
    var name: JobKindName { .rentalBilling }
    var stages: [Stage] { [.process, .deliver] }

    func run(_ context: JobContext) throws -> JobOutcome {
        let store = context.store
        let params = (try? JSONDecoder().decode([String: String].self, from: Data(context.job.params.utf8))) ?? [:]
        guard let monthText = params["month"], let first = CivilDate(iso: monthText + "-01") else {
            var outcome = JobOutcome(state: .failed, reason: "rental billing needs a month YYYY-MM (params: \(context.job.params))")
            outcome.errorCode = .internalError
            outcome.errorMessage = outcome.reason
            try store.transaction { try store.finish(job: context.job, outcome: outcome, fileState: "failed", now: epochNow()) }
            return outcome
        }
        let partnerFilter = params["partner"]
        let last = CivilDate(year: first.year, month: first.month, day: CivilDate.daysIn(month: first.month, year: first.year)) ?? first
        let tasks = try store.transaction {
            try store.createTasks(job: context.job, stages: [.process], worker: context.workerID, now: epochNow())
        }
        let task = tasks[.process] ?? 0
        return try store.transaction {
            try store.startTask(task, total: nil, unit: "rentals", now: epochNow())
            var examined = 0, billed = 0, notBillable = 0
            var partners = Set<String>()
            let rentals = try store.connection.fetchAll("SELECT * FROM rentals WHERE (? IS NULL OR partner = ?) ORDER BY partner, rental_id", partnerFilter, partnerFilter)
            for rental in rentals {
                examined += 1
                if examined % 1024 == 0 { try context.cancellation.check() }
                guard let partner = rental.string("partner"), let rentalID = rental.string("rental_id"), let hcpcs = rental.string("hcpcs"),
                      let start = rental.string("start_date").flatMap(CivilDate.init(iso:)) else { continue }
                guard start <= last else { continue }
                partners.insert(partner)
                let decision = decide(rental: rental, hcpcs: hcpcs, start: start, first: first, last: last, store: store, partner: partner)
                // A billed month is final; a month that could not be billed (no price yet, paused)
                // is decided again on the next run.
                try store.connection.run("""
                    INSERT INTO rental_bills(partner, rental_id, month, rental_month, patient_id, payer_id, hcpcs, modifiers, amount_cents, status, reason, job_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(partner, rental_id, month) DO UPDATE SET rental_month = excluded.rental_month, modifiers = excluded.modifiers,
                        amount_cents = excluded.amount_cents, status = excluded.status, reason = excluded.reason, job_id = excluded.job_id
                    WHERE rental_bills.status <> 'billed' AND (rental_bills.status <> excluded.status OR rental_bills.reason <> excluded.reason)
                    """, partner, rentalID, monthText, decision.month, rental.string("patient_id"), rental.string("payer_id"), hcpcs,
                    decision.modifiers.joined(separator: ","), decision.amount, decision.status, decision.reason, context.job.id, epochNow())
                if store.connection.changes > 0 {
                    if decision.status == "billed" { billed += 1 } else { notBillable += 1 }
                }
            }
            var outputs: [String] = []
            for partner in partners.sorted() {
                let path = "\(context.spool.outbox(partner: partner))/billing-\(monthText).csv"
                try AtomicFileWriter.write(try Self.export(store: store, partner: partner, month: monthText), to: path)
                outputs.append(context.spool.relative(path))
            }
            try store.connection.run("UPDATE jobs SET outputs = ? WHERE id = ?", JSONText.encode(outputs), context.job.id)
            var outcome = JobOutcome(state: .succeeded, reason: billed + notBillable == 0
                                     ? "\(monthText): nothing new (\(examined) rentals already billed or not due)"
                                     : "\(monthText): \(billed) rental lines billed, \(notBillable) not billable (\(examined) rentals)")
            outcome.rowsRead = examined
            outcome.rowsLoaded = billed
            outcome.rowsSkipped = notBillable
            try store.finishTask(task, state: "succeeded", done: Int64(examined), now: epochNow())
            try store.finish(job: context.job, outcome: outcome, fileState: "done", now: epochNow())
            return outcome
        }
    }

    struct Decision {
        var month: Int
        var modifiers: [String] = []
        var amount: Int64?
        var status: String
        var reason: String
    }

    private func decide(rental: Row, hcpcs: String, start: CivilDate, first: CivilDate, last: CivilDate, store: IntakeStore, partner: String) -> Decision {
        let status = rental.string("status") ?? "active"
        let statusDate = rental.string("status_date").flatMap(CivilDate.init(iso:))
        let pauseStart = rental.string("pause_start").flatMap(CivilDate.init(iso:))
        let pauseEnd = rental.string("pause_end").flatMap(CivilDate.init(iso:))
        let paused = RentalRules.pausedFullMonths(pauseStart: pauseStart, pauseEnd: pauseEnd, before: (first.year, first.month))
        let month = RentalRules.month(of: first, start: start, pausedFullMonths: paused)
        if status != "active", (statusDate ?? start) <= first {
            return Decision(month: month, status: "not_billable", reason: "rental is \(status)\(statusDate.map { " since \($0)" } ?? "")")
        }
        if let pauseStart, pauseStart <= last, (pauseEnd.map { $0 >= first } ?? true) {
            return Decision(month: month, status: "not_billable", reason: "rental is paused from \(pauseStart)\(pauseEnd.map { " to \($0)" } ?? "")")
        }
        if let pauseStart, let pauseEnd, pauseEnd < first, RentalRules.breakNeedsDocumentation(pauseStart: pauseStart, pauseEnd: pauseEnd) {
            return Decision(month: month, status: "needs_documentation",
                            reason: "a break from \(pauseStart) to \(pauseEnd) is longer than 60 days plus the rest of the month: new documentation is needed before billing resumes")
        }
        guard let modifiers = RentalRules.modifiers(month: month, hcpcs: hcpcs) else {
            return Decision(month: month, status: "not_billable", reason: "rental month \(month) is past the \(RentalRules.cap(for: hcpcs))-month cap")
        }
        var amount: Int64?
        if rental.int("fee_schedule") == 1 || RentalRules.isOxygen(hcpcs) {
            for modifier in [modifiers.last ?? "RR", "RR", ""] {
                if let allowed = try? store.connection.fetchInt("SELECT allowed_cents FROM fee_schedules WHERE partner = ? AND payer_id = ? AND hcpcs = ? AND modifier = ?",
                                                                  partner, rental.string("payer_id"), hcpcs, modifier) {
                    amount = allowed
                    break
                }
            }
        } else if let price = rental.int64("purchase_price_cents") {
            amount = RentalRules.cappedRentalAmount(month: month, purchasePriceCents: price)
        }
        guard let amount else {
            return Decision(month: month, modifiers: modifiers, status: "needs_pricing", reason: "no purchase price and no fee schedule entry for \(hcpcs)")
        }
        return Decision(month: month, modifiers: modifiers, amount: amount, status: "billed", reason: "rental month \(month)")
    }

    /// The month's billed lines of one partner, as claim lines for the billing system.
    static func export(store: IntakeStore, partner: String, month: String) throws -> String {
        var text = CSVCell.row(["rental_id", "patient_id", "payer_id", "hcpcs", "modifiers", "rental_month", "month", "amount"])
        for row in try store.connection.fetchAll("SELECT * FROM rental_bills WHERE partner = ? AND month = ? AND status = 'billed' ORDER BY rental_id", partner, month) {
            text += CSVCell.row([row.string("rental_id") ?? "", row.string("patient_id") ?? "", row.string("payer_id") ?? "", row.string("hcpcs") ?? "",
                                 row.string("modifiers") ?? "", row.string("rental_month") ?? "", month, Money.format(cents: row.int64("amount_cents") ?? 0)])
        }
        return text
    }
}
