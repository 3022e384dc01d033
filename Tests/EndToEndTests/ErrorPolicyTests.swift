import Foundation
import Testing

@Suite("error policies")
struct ErrorPolicyTests {
    /// 50 rows, bad at records 7, 23 and 41 (lines 8, 24, 42: the header is line 1).
    static let defects: [Int: ClaimsFile.Defect] = [7: .npiCheckDigit, 23: .hcpcsFormat, 41: .dateRange]
    static let expectedErrorRows = [
        "8,7,billing_npi,npi.check_digit",
        "24,23,hcpcs,hcpcs.format",
        "42,41,dos_from,date.range",
    ]

    /// line, record, field and code of each row of an errors.csv.
    func errorRows(_ csv: String) -> [String] {
        csv.split(separator: "\r\n").dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return [cells[0], cells[1], cells[4], cells[5]].joined(separator: ",")
        }
    }

    @Test("abort: 3 bad rows among 50 reject the file, load nothing, and list exactly those rows")
    func abortPolicy() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.drop(ClaimsFile.make(rows: 50, partner: "acme", defects: Self.defects), partner: "acme", name: "claims.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        let manifest = try harness.manifest(partner: "acme", name: "claims.csv")
        #expect(manifest["state"] as? String == "rejected")
        let counts = manifest["counts"] as? [String: Int]
        #expect(counts?["rows_loaded"] == 0 && counts?["rows_rejected"] == 3 && counts?["rows_read"] == 50)
        #expect(try harness.count("SELECT count(*) FROM service_lines") == 0)
        #expect(try harness.count("SELECT count(*) FROM claims") == 0)
        #expect(errorRows(try harness.contents("outbox/acme/claims.csv.errors.csv")) == Self.expectedErrorRows)
        #expect(harness.exists("rejected/acme/claims.csv") && harness.exists("rejected/acme/claims.csv.errors.csv"))
        #expect(harness.workFiles().isEmpty)
    }

    @Test("skip_rows: the 47 good rows load and the same 3 are listed")
    func skipRowsPolicy() throws {
        let harness = try Harness(extraConfig: """
            partners: { acme: { feeds: [ { name: "claims", pattern: "*.csv", error_policy: "skip_rows" } ] } },
            """)
        defer { harness.cleanUp() }
        try harness.drop(ClaimsFile.make(rows: 50, partner: "acme", defects: Self.defects), partner: "acme", name: "claims.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        let manifest = try harness.manifest(partner: "acme", name: "claims.csv")
        #expect(manifest["state"] as? String == "partially_succeeded")
        #expect((manifest["counts"] as? [String: Int])?["rows_loaded"] == 47)
        #expect(try harness.count("SELECT count(*) FROM service_lines") == 47)
        #expect(errorRows(try harness.contents("outbox/acme/claims.csv.errors.csv")) == Self.expectedErrorRows)
        #expect(harness.exists("done/acme"))
    }

    @Test("a file whose partner_id is another partner's is refused row by row")
    func partnerMismatch() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.drop(ClaimsFile.make(rows: 2, partner: "globex"), partner: "acme", name: "wrong.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        let manifest = try harness.manifest(partner: "acme", name: "wrong.csv")
        #expect((manifest["errors_by_code"] as? [String: Int])?["claim.partner_mismatch"] == 2)
        #expect(!harness.exists("outbox/globex"))
    }

    @Test("a header missing required columns is one file-level error, not one per row")
    func missingColumns() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.drop("claim_id,partner_id\nC1,acme\nC2,acme\n", partner: "acme", name: "short.csv")
        #expect(try harness.run(["run", "--once"]) == 0)
        let manifest = try harness.manifest(partner: "acme", name: "short.csv")
        #expect(manifest["state"] as? String == "rejected")
        #expect(manifest["errors_by_code"] as? [String: Int] == ["csv.missing_columns": 1])
    }
}
