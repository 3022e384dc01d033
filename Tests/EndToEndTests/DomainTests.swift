import Foundation
import Testing

/// The HME/DME rules on the fixtures in `fixtures/domain/`, with outputs compared to the
/// hand-checked files in `fixtures/domain/expected/`.
@Suite("HME/DME domain", .serialized)
struct DomainTests {
    static let domain = FixtureTests.fixtures.appendingPathComponent("domain")

    func makeHarness() throws -> Harness {
        let harness = try Harness()
        try FileManager.default.removeItem(atPath: harness.spool + "/intake.json5")
        try FileManager.default.copyItem(at: Self.domain.appendingPathComponent("intake.json5"), to: URL(fileURLWithPath: harness.spool + "/intake.json5"))
        return harness
    }

    /// Drops fixture files into acme's inbox and processes them.
    func load(_ harness: Harness, _ names: [String]) throws {
        let inbox = harness.spool + "/inbox/acme"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        for name in names {
            try FileManager.default.copyItem(at: Self.domain.appendingPathComponent(name), to: URL(fileURLWithPath: "\(inbox)/\(name)"))
        }
        #expect(try harness.run(["run", "--once"]) == 0)
    }

    func expected(_ name: String) throws -> String {
        try String(contentsOf: Self.domain.appendingPathComponent("expected/\(name)"), encoding: .utf8)
    }

    /// The billed lines of one rental in a billing export: (modifiers, rental month, amount).
    func lines(of rental: String, in csv: String) -> [[String]] {
        csv.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }.filter { $0.first == rental }
    }

    @Test("a CPAP rental bills KH, KI, KI, then KJ to month 13 with exact amounts; month 14 bills nothing; oxygen stops at 36; a second run creates nothing")
    func rentalBilling() throws {
        let harness = try makeHarness()
        defer { harness.cleanUp() }
        try load(harness, ["rentals-2025.csv", "fees-2025.csv"])
        var cpap: [(modifiers: String, month: String, amount: String)] = []
        var oxygenMonths: [Int] = []
        for index in 0..<14 {
            let month = String(format: "%04d-%02d", 2025 + index / 12, index % 12 + 1)
            #expect(try harness.capture(["bill", "--month", month]).status == 0)
            let csv = try harness.contents("outbox/acme/billing-\(month).csv")
            let line = lines(of: "R-CPAP-1", in: csv)
            // The export quotes the modifier pair ("RR,KH"), which splits in two here.
            cpap += line.map { ($0[4] + "," + $0[5], $0[6], $0[8]) }
            oxygenMonths += lines(of: "R-O2-1", in: csv).compactMap { Int($0[5]) }
        }
        #expect(cpap.map(\.modifiers) == ["\"RR,KH\"", "\"RR,KI\"", "\"RR,KI\""] + Array(repeating: "\"RR,KJ\"", count: 10))
        #expect(cpap.map(\.month) == (1...13).map(String.init))
        #expect(cpap.map(\.amount) == ["100.00", "100.00", "100.00"] + Array(repeating: "75.00", count: 10))
        #expect(oxygenMonths == Array(25...36))
        #expect(try harness.contents("outbox/acme/billing-2025-01.csv") == (try expected("billing-2025-01.csv")))
        #expect(try harness.count("SELECT count(*) FROM rental_bills WHERE rental_id = 'R-NEB-1' AND status = 'needs_documentation'") == 8)

        let before = try harness.count("SELECT count(*) FROM rental_bills")
        let again = try harness.capture(["bill", "--month", "2025-06", "--json"])
        #expect(again.status == 0)
        #expect(try harness.count("SELECT count(*) FROM rental_bills") == before)
        #expect(try harness.count("SELECT rows_loaded FROM jobs WHERE kind = 'rental_billing' ORDER BY id DESC LIMIT 1") == 0)
    }

    @Test("claim lines are checked against the rental month: month 14 and a wrong modifier are rejected with specific codes")
    func rentalClaims() throws {
        let harness = try makeHarness()
        defer { harness.cleanUp() }
        try load(harness, ["rentals-2025.csv"])
        try load(harness, ["claims-rental.csv"])
        #expect(try harness.contents("outbox/acme/claims-rental.csv.errors.csv") == (try expected("claims-rental.csv.errors.csv")))
        #expect(try harness.count("SELECT count(*) FROM service_lines") == 1)
        let batches = try FileManager.default.contentsOfDirectory(atPath: harness.spool + "/outbox/acme").filter { $0.hasPrefix("claim-batch-MCR-JA") }
        #expect(batches.count == 2)
    }

    @Test("remittance: CO-45, PR-1, PR-2, a CO-50 denial, a status-22 reversal and an unknown claim land in their categories; statements show the patient shares")
    func remittances() throws {
        let harness = try makeHarness()
        defer { harness.cleanUp() }
        try load(harness, ["patients-2025.csv", "claims-remit.csv"])
        try load(harness, ["remit-check-8841.csv"])
        #expect(try harness.manifest(partner: "acme", name: "remit-check-8841.csv")["state"] as? String == "succeeded")
        #expect(try harness.contents("outbox/acme/reconciliation-remit-check-8841.csv") == (try expected("reconciliation-remit-check-8841.csv")))
        #expect(try harness.count("SELECT paid_cents FROM claims WHERE claim_id = 'C1'") == 32000)
        #expect(try harness.count("SELECT patient_cents FROM claims WHERE claim_id = 'C1'") == 6000)
        #expect(try harness.count("SELECT paid_cents FROM claims WHERE claim_id = 'C2'") == 0)
        let month = String(isoPrefix(Date()).prefix(7))
        #expect(try harness.capture(["statements", "--month", month]).status == 0)
        #expect(try harness.contents("outbox/staff/statements-\(month).csv") == (try expected("statements.csv")))
        let page = try harness.contents("outbox/staff/statements-\(month)/acme-M100.html")
        #expect(page.contains("60.00") && page.contains("O&#39;Brien"))
        // The same file again changes nothing.
        try harness.drop(try String(contentsOf: Self.domain.appendingPathComponent("remit-check-8841.csv"), encoding: .utf8), partner: "acme", name: "remit-check-8841-resent.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        #expect(try harness.count("SELECT count(*) FROM remittance_payments") == 5)
    }

    @Test("an unbalanced remittance claim is reported with its expected and actual amounts")
    func unbalanced() throws {
        let harness = try makeHarness()
        defer { harness.cleanUp() }
        try load(harness, ["claims-remit.csv"])
        try load(harness, ["remit-check-8842-unbalanced.csv"])
        #expect(try harness.manifest(partner: "acme", name: "remit-check-8842-unbalanced.csv")["state"] as? String == "rejected")
        #expect(try harness.contents("outbox/acme/remit-check-8842-unbalanced.csv.errors.csv") == (try expected("remit-check-8842-unbalanced.csv.errors.csv")))
        #expect(try harness.count("SELECT count(*) FROM remittance_payments") == 0)
    }

    @Test("a count with a missing serial, a surplus and an unknown item gives the expected variance; an item below its reorder point is in the reorder export")
    func inventory() throws {
        let harness = try makeHarness()
        defer { harness.cleanUp() }
        try load(harness, ["items-2025.csv"])
        try load(harness, ["movements-2025.csv"])
        #expect(try harness.count("SELECT quantity FROM stock_on_hand WHERE item_id = 'MASK'") == 7)
        try load(harness, ["counts-w1.csv"])
        #expect(try harness.contents("outbox/acme/variance-counts-w1.csv") == (try expected("variance-counts-w1.csv")))
        #expect(try harness.contents("outbox/acme/reorder-counts-w1.csv") == (try expected("reorder-counts-w1.csv")))
    }
}

/// `YYYY-MM-DD...` of a date in UTC.
func isoPrefix(_ date: Date) -> String {
    date.formatted(.iso8601.year().month().day())
}
