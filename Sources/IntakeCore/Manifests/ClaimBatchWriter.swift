import SQLiteStore

/// The two forms of a claim batch.
enum ClaimBatchFormat: String, CaseIterable, Sendable {
    case csv, xml
}

/// Writes one payer's claim batch of one job in one format, streaming rows from SQLite's
/// buffers straight into the file's buffer, escaped byte by byte (a String per value made the
/// export cost as much as the load itself).
struct ClaimBatchWriter {
    let format: ClaimBatchFormat
    let jobID: Int64
    let connection: Connection

    /// After payer_id, in the order the query selects them, so values are read by position.
    static let columns = ["claim_id", "line_no", "patient_id", "patient_last", "patient_first", "dob", "billing_npi", "hcpcs", "modifiers", "icd10",
                          "dos_from", "dos_to", "units", "charge_amount"]
    private static let openTags = columns.map { Array("<\($0)>".utf8) }
    private static let closeTags = columns.map { Array("</\($0)>".utf8) }

    func write(payer: String, to base: String) throws {
        let statement = try connection.statement("""
            SELECT c.payer_id, c.claim_id, l.line_no, c.patient_id, c.patient_last, c.patient_first, c.dob, c.billing_npi,
                   l.hcpcs, l.modifiers, l.icd10, l.dos_from, l.dos_to, l.units, l.charge_cents
            FROM claims c JOIN service_lines l ON l.claim_ref = c.id WHERE c.job_id = ? AND c.payer_id = ? ORDER BY c.id, l.line_no
            """)
        defer { statement.reset() }
        try statement.bind(jobID, at: 1)
        try statement.bind(payer, at: 2)
        let file = try StreamingFileWriter(path: base + "." + format.rawValue)
        var total: Int64 = 0, lines = 0
        switch format {
        case .csv: try file.write(CSVCell.row(["payer_id"] + Self.columns))
        case .xml: try file.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<claim_batch payer_id=\"\(htmlEscape(payer))\" job_id=\"\(jobID)\">\n")
        }
        while try statement.step() {
            let cents = statement.int64(at: 14)
            let amount = Array(Money.format(cents: cents).utf8)
            total += cents
            lines += 1
            switch format {
            case .csv:
                try file.append { out in
                    for column in Int32(0)..<14 {
                        if column > 0 { out.append(UInt8(ascii: ",")) }
                        statement.withUTF8(at: column) { EscapedBytes.appendCSVCell($0, to: &out) }
                    }
                    out.append(UInt8(ascii: ","))
                    amount.withUnsafeBufferPointer { EscapedBytes.appendCSVCell($0, to: &out) }
                    out.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
                }
            case .xml:
                try file.append { out in
                    out.append(contentsOf: "  <line>".utf8)
                    for (index, column) in (Int32(1)..<14).enumerated() {
                        out.append(contentsOf: Self.openTags[index])
                        statement.withUTF8(at: column) { EscapedBytes.appendXMLText($0, to: &out) }
                        out.append(contentsOf: Self.closeTags[index])
                    }
                    out.append(contentsOf: Self.openTags[13])
                    amount.withUnsafeBufferPointer { EscapedBytes.appendXMLText($0, to: &out) }
                    out.append(contentsOf: Self.closeTags[13])
                    out.append(contentsOf: "</line>\n".utf8)
                }
            }
        }
        if format == .xml {
            try file.write("  <total_charge>\(Money.format(cents: total))</total_charge>\n  <line_count>\(lines)</line_count>\n</claim_batch>\n")
        }
        try file.finish()
    }
}
