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
    private let findClaim: Statement
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
            """)
        findClaim = try connection.statement("SELECT id FROM claims WHERE file_id = ? AND claim_id = ?")
        insertLine = try connection.statement("""
            INSERT INTO service_lines(claim_ref, line_no, hcpcs, modifiers, icd10, dos_from, dos_to, units,
                                      charge_cents, notes, source_line, rental_month, diagnoses, diagnosis_pointers)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    enum InsertResult { case inserted, duplicateLine }

    /// Runs the bound claim insert; nil when it inserted, the earlier row's id when the file
    /// already had this claim.
    private func insertOrFindClaim(_ claimID: String) throws -> Int64? {
        do {
            try insertClaim.run()
            return nil
        } catch {
            guard error.isConstraintViolation else { throw error }
            findClaim.reset()
            defer { findClaim.reset() }
            try findClaim.bind(fileID, at: 1)
            try findClaim.bind(claimID, at: 2)
            guard try findClaim.step() else { throw error }
            return findClaim.int64(at: 0)
        }
    }

    func insert(_ line: ClaimLine, sourceLine: Int) throws -> InsertResult {
        let claimRef: Int64
        if let lastClaim, lastClaim.id == line.claimID {
            claimRef = lastClaim.ref
        } else {
            insertClaim.reset()
            try insertClaim.bind(fileID, at: 1)
            try insertClaim.bind(jobID, at: 2)
            try insertClaim.bind(partner, at: 3)
            try insertClaim.bind(line.claimID, at: 4)
            try insertClaim.bind(line.patientID, at: 5)
            try insertClaim.bind(line.patientLast, at: 6)
            try insertClaim.bind(line.patientFirst, at: 7)
            try insertClaim.bind(line.dateOfBirth.description, at: 8)
            try insertClaim.bind(line.payerID, at: 9)
            try insertClaim.bind(line.payerName, at: 10)
            try insertClaim.bind(line.billingNPI, at: 11)
            // A plain INSERT: an upsert with RETURNING cost four times the line insert. The
            // claim's lines almost always follow one another; when an earlier claim comes back,
            // the unique key refuses the row and its id is looked up.
            if let existing = try insertOrFindClaim(line.claimID) {
                claimRef = existing
            } else {
                claimRef = connection.lastInsertRowID
            }
            lastClaim = (line.claimID, claimRef)
        }
        insertLine.reset()
        try insertLine.bind(claimRef, at: 1)
        try insertLine.bind(line.lineNumber, at: 2)
        try insertLine.bind(line.hcpcs, at: 3)
        try insertLine.bind(line.modifiers.count == 1 ? line.modifiers[0] : line.modifiers.joined(separator: ","), at: 4)
        try insertLine.bind(line.icd10, at: 5)
        try insertLine.bind(line.serviceFrom.description, at: 6)
        try insertLine.bind(line.serviceTo.description, at: 7)
        try insertLine.bind(line.units, at: 8)
        try insertLine.bind(line.chargeCents, at: 9)
        try insertLine.bind(line.notes, at: 10)
        try insertLine.bind(sourceLine, at: 11)
        if let month = line.rentalMonth { try insertLine.bind(month, at: 12) } else { try insertLine.bindNull(at: 12) }
        try insertLine.bind(line.diagnoses.isEmpty ? nil : line.diagnoses.joined(separator: ";"), at: 13)
        try insertLine.bind(line.diagnosisPointers.isEmpty ? nil : line.diagnosisPointers.map(String.init).joined(separator: ","), at: 14)
        do {
            try insertLine.run()
        } catch {
            if error.isConstraintViolation { return .duplicateLine }
            throw error
        }
        return .inserted
    }
}
