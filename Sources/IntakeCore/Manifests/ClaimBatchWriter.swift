import SQLiteStore

/// The two forms of a claim batch.
enum ClaimBatchFormat: String, CaseIterable, Sendable {
    case csv, xml
}

/// Writes one payer's claim batch of one job, CSV and XML in the same pass over the rows,
/// streaming values from SQLite's buffers straight into the files' buffers, escaped byte by
/// byte (a String per value made the export cost as much as the load itself).
struct ClaimBatchWriter {
    let jobID: Int64
    let connection: Connection

    /// After payer_id, in the order the query selects them, so values are read by position.
    static let columns = ["claim_id", "line_no", "patient_id", "patient_last", "patient_first", "dob", "billing_npi", "hcpcs", "modifiers", "icd10",
                          "dos_from", "dos_to", "units", "charge_amount"]
    /// The XML element of each column, opening and closing tags back to back in one buffer
    /// (one array: no retain per value on the hot path).
    private static let tags: (bytes: [UInt8], open: [Range<Int>], close: [Range<Int>]) = {
        var bytes: [UInt8] = [], open: [Range<Int>] = [], close: [Range<Int>] = []
        for column in columns {
            let start = bytes.count
            bytes += Array("<\(column)>".utf8)
            open.append(start..<bytes.count)
            bytes += Array("</\(column)>".utf8)
            close.append(open[open.count - 1].upperBound..<bytes.count)
        }
        return (bytes, open, close)
    }()

    /// Writes `base.csv` and `base.xml` for `payer`, under temp names: the caller publishes
    /// them (`StreamingFileWriter.publish`) with the job's other batches.
    func write(payer: String, to base: String) throws -> [StreamingFileWriter] {
        let statement = try connection.statement("""
            SELECT c.payer_id, c.claim_id, l.line_no, c.patient_id, c.patient_last, c.patient_first, c.dob, c.billing_npi,
                   l.hcpcs, l.modifiers, l.icd10, l.dos_from, l.dos_to, l.units, l.charge_cents
            FROM claims c JOIN service_lines l ON l.claim_ref = c.id WHERE c.job_id = ? AND c.payer_id = ? ORDER BY c.id, l.line_no
            """)
        defer { statement.reset() }
        try statement.bind(jobID, at: 1)
        try statement.bind(payer, at: 2)
        let csv = try StreamingFileWriter(path: base + ".csv")
        let xml = try StreamingFileWriter(path: base + ".xml")
        try csv.write(CSVCell.row(["payer_id"] + Self.columns))
        try xml.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<claim_batch payer_id=\"\(htmlEscape(payer))\" job_id=\"\(jobID)\">\n")
        var total: Int64 = 0, lines = 0
        let tags = Self.tags
        try tags.bytes.withUnsafeBufferPointer { tagBytes in
            while try statement.step() {
                let cents = statement.int64(at: 14)
                let amount = Array(Money.format(cents: cents).utf8)
                total += cents
                lines += 1
                try csv.append { out in
                    for column in Int32(0)..<14 {
                        if column > 0 { out.append(UInt8(ascii: ",")) }
                        statement.withUTF8(at: column) { EscapedBytes.appendCSVCell($0, to: &out) }
                    }
                    out.append(UInt8(ascii: ","))
                    amount.withUnsafeBufferPointer { EscapedBytes.appendCSVCell($0, to: &out) }
                    out.append(UInt8(ascii: "\r"))
                    out.append(UInt8(ascii: "\n"))
                }
                try xml.append { out in
                    out.append(contentsOf: "  <line>".utf8)
                    for index in 0..<14 {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: tagBytes[tags.open[index]]))
                        if index < 13 {
                            statement.withUTF8(at: Int32(index + 1)) { EscapedBytes.appendXMLText($0, to: &out) }
                        } else {
                            amount.withUnsafeBufferPointer { EscapedBytes.appendXMLText($0, to: &out) }
                        }
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: tagBytes[tags.close[index]]))
                    }
                    out.append(contentsOf: "</line>\n".utf8)
                }
            }
        }
        try xml.write("  <total_charge>\(Money.format(cents: total))</total_charge>\n  <line_count>\(lines)</line_count>\n</claim_batch>\n")
        return [csv, xml]
    }
}
