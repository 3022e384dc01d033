import SQLiteStore

/// Inserts validated claim lines with two reused prepared statements; a claim's header row is
/// written once per claim and remembered while its lines follow one another.
final class ClaimsLoader {
    private let connection: Connection
    private let fileID: Int64
    private let jobID: Int64
    private let partner: String
    private let insertClaim: Statement
    private let insertLine: Statement
    private var lastClaim: (id: String, ref: Int64)?

    init(connection: Connection, fileID: Int64, jobID: Int64, partner: String) throws {
        self.connection = connection
        self.fileID = fileID
        self.jobID = jobID
        self.partner = partner
        insertClaim = try connection.statement("""
            INSERT INTO claims(file_id, job_id, partner, claim_id, patient_id, patient_last, patient_first, dob,
                               payer_id, payer_name, billing_npi)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(file_id, claim_id) DO UPDATE SET claim_id = excluded.claim_id
            RETURNING id
            """)
        insertLine = try connection.statement("""
            INSERT INTO service_lines(claim_ref, line_no, hcpcs, modifiers, icd10, dos_from, dos_to, units,
                                      charge_cents, notes, source_line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    enum InsertResult { case inserted, duplicateLine }

    func insert(_ line: ClaimLine, sourceLine: Int) throws -> InsertResult {
        let claimRef: Int64
        if let lastClaim, lastClaim.id == line.claimID {
            claimRef = lastClaim.ref
        } else {
            try insertClaim.bind([fileID, jobID, partner, line.claimID, line.patientID, line.patientLast, line.patientFirst,
                                  line.dateOfBirth.description, line.payerID, line.payerName, line.billingNPI])
            guard try insertClaim.step() else { throw SQLiteError(code: 1, message: "claim insert returned no id", sql: insertClaim.sql) }
            claimRef = insertClaim.int64(at: 0)
            insertClaim.reset()
            lastClaim = (line.claimID, claimRef)
        }
        try insertLine.bind([claimRef, line.lineNumber, line.hcpcs, line.modifiers.joined(separator: ","), line.icd10,
                             line.serviceFrom.description, line.serviceTo.description, line.units, line.chargeCents,
                             line.notes, sourceLine])
        do {
            try insertLine.run()
        } catch {
            if error.isConstraintViolation { return .duplicateLine }
            throw error
        }
        return .inserted
    }
}
