import Foundation

/// Checks one record of a claims file against layout v1 and the HME/DME field rules, and
/// builds the `ClaimLine` when every rule holds. Reports every failing field, not just the first.
public struct ClaimLineValidator: Sendable {
    public let partner: String
    public let today: CivilDate
    /// ICD-10-CM replaced ICD-9 for dates of service from this day on.
    public static let icd10EffectiveDate = CivilDate(year: 2015, month: 10, day: 1)!

    public init(partner: String, today: CivilDate) {
        self.partner = partner
        self.today = today
    }

    /// Validates one record, whatever its format. Appends problems to `errors`; returns the
    /// line only when there were none.
    public func validate<Record: ClaimRecord>(_ source: Record, errors: inout [RowError]) -> ClaimLine? {
        let errorCountBefore = errors.count
        func fail(_ column: ClaimColumn?, _ code: ErrorCode, _ message: String, value: String = "") {
            errors.append(RowError(line: source.line, record: source.record, byteOffset: source.byteOffset,
                                   column: column.map(source.columnNumber) ?? 0, field: column.map(source.fieldName) ?? "",
                                   code: code, message: message, value: value))
        }
        if let problem = source.structuralProblem {
            fail(nil, problem.code, problem.message)
            return nil
        }
        /// The trimmed text of a column, `nil` when the column is absent or the value empty.
        func text(_ column: ClaimColumn) -> String? { source.text(column) }
        func required(_ column: ClaimColumn) -> String? {
            guard let value = text(column) else {
                fail(column, .required, "\(column.rawValue) is required and is empty")
                return nil
            }
            return value
        }
        func limited(_ column: ClaimColumn, _ value: String?, _ maxLength: Int) -> String? {
            guard let value, value.utf8.count > maxLength else { return value }
            fail(column, .tooLong, "\(column.rawValue) is longer than \(maxLength) bytes", value: value)
            return nil
        }
        func date(_ column: ClaimColumn) -> CivilDate? {
            guard let value = required(column) else { return nil }
            guard let date = CivilDate(iso: value) else {
                fail(column, .dateFormat, "\(column.rawValue) must be a real date written YYYY-MM-DD", value: value)
                return nil
            }
            return date
        }

        let claimID = limited(.claimID, required(.claimID), 50)
        var lineNumber = 1
        if let value = text(.lineNumber) {
            if let number = Int(value), (1...999).contains(number) { lineNumber = number } else {
                fail(.lineNumber, .lineNumberFormat, "line_no must be a whole number from 1 to 999", value: value)
            }
        }
        let partnerID = required(.partnerID)
        if let partnerID, partnerID != partner {
            fail(.partnerID, .partnerMismatch, "partner_id \(partnerID) does not match the partner whose inbox the file came from (\(partner))", value: partnerID)
        }
        let patientID = limited(.patientID, required(.patientID), 50)
        let dateOfBirth = date(.dateOfBirth)
        let payerID = limited(.payerID, required(.payerID), 50)

        let npi = required(.billingNPI)
        if var npi {
            switch npi.withUTF8(IdentifierRules.checkNPI) {
            case .valid: break
            case .badFormat: fail(.billingNPI, .npiFormat, "billing_npi must be 10 digits starting with 1 or 2", value: npi)
            case .badCheckDigit: fail(.billingNPI, .npiCheckDigit, "billing_npi fails the NPI check digit (Luhn with the 80840 prefix)", value: npi)
            }
        }
        let hcpcs = required(.hcpcs).map(asciiUppercased)
        if var code = hcpcs, !code.withUTF8(IdentifierRules.isHCPCS) {
            fail(.hcpcs, .hcpcsFormat, "hcpcs must be one letter and four digits, like E0601", value: code)
        }
        var modifiers: [String] = []
        if let value = text(.modifiers).map(asciiUppercased) {
            let parts = value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { part in
                String(decoding: part.drop { $0 == 32 }.reversed().drop { $0 == 32 }.reversed(), as: UTF8.self)
            }
            if parts.count > 4 {
                fail(.modifiers, .tooManyModifiers, "at most 4 modifiers are allowed, found \(parts.count)", value: value)
            } else if let bad = parts.first(where: { !IdentifierRules.isModifier(Array($0.utf8)[...]) }) {
                fail(.modifiers, .modifierFormat, "modifier \"\(bad)\" is not a two-character code (letters or digits)", value: value)
            } else {
                modifiers = parts
            }
        }
        let serviceFrom = date(.serviceFrom)
        let serviceTo = date(.serviceTo)
        if let serviceFrom, let serviceTo, serviceFrom > serviceTo {
            fail(.serviceFrom, .dateRange, "dos_from \(serviceFrom) is after dos_to \(serviceTo)", value: serviceFrom.description)
        }
        if let serviceTo, serviceTo > today {
            fail(.serviceTo, .dateInFuture, "dos_to \(serviceTo) is in the future (today is \(today))", value: serviceTo.description)
        } else if let serviceFrom, serviceFrom > today {
            fail(.serviceFrom, .dateInFuture, "dos_from \(serviceFrom) is in the future (today is \(today))", value: serviceFrom.description)
        }
        if let dateOfBirth, let serviceFrom, dateOfBirth >= serviceFrom {
            fail(.dateOfBirth, .birthAfterService, "dob \(dateOfBirth) is not before dos_from \(serviceFrom)", value: dateOfBirth.description)
        }
        var icd10: String?
        if let value = text(.icd10).map(asciiUppercased) {
            var code = value
            if !code.withUTF8(IdentifierRules.isICD10) {
                fail(.icd10, .icd10Format, "icd10 must be an ICD-10-CM code: a letter, a digit, then 1 to 5 letters or digits (dot after the third optional)", value: value)
            } else if let serviceFrom, serviceFrom < Self.icd10EffectiveDate {
                fail(.icd10, .icd10BeforeEffective, "ICD-10 codes apply to dates of service from 2015-10-01; dos_from is \(serviceFrom)", value: value)
            } else {
                icd10 = String(decoding: value.utf8.filter { $0 != UInt8(ascii: ".") }, as: UTF8.self)
            }
        }
        var units = 0
        if let value = required(.units) {
            if let number = Int(value), (1...9999).contains(number) { units = number } else {
                fail(.units, .unitsRange, "units must be a whole number from 1 to 9999", value: value)
            }
        }
        var chargeCents: Int64 = 0
        if var value = required(.chargeAmount) {
            if let cents = value.withUTF8(Money.parseCents) { chargeCents = cents } else {
                fail(.chargeAmount, .moneyFormat, "charge_amount must be dollars with up to 2 decimals, no sign or thousands separator (like 1250.00)", value: value)
            }
        }

        var rentalMonth: Int?
        if let value = text(.rentalMonth) {
            if let number = Int(value), (1...99).contains(number) { rentalMonth = number } else {
                fail(.rentalMonth, .valueRange, "rental_month must be a whole number from 1 to 99", value: value)
            }
        }
        if let rentalMonth, let hcpcs, modifiers.contains("RR"), let problem = RentalRules.check(month: rentalMonth, hcpcs: hcpcs, modifiers: modifiers) {
            fail(.modifiers, problem.code, problem.message, value: modifiers.joined(separator: ","))
        }
        var diagnoses: [String] = []
        if let value = text(.diagnoses).map(asciiUppercased) {
            let codes = value.split(separator: ";").map { String($0).trimmingBlanks() }
            if codes.count > 12 {
                fail(.diagnoses, .icd10Format, "at most 12 diagnoses per claim, found \(codes.count)", value: value)
            } else if let bad = codes.first(where: { var code = $0; return !code.withUTF8(IdentifierRules.isICD10) }) {
                fail(.diagnoses, .icd10Format, "diagnosis \(bad) is not an ICD-10-CM code", value: value)
            } else {
                diagnoses = codes.map { String(decoding: $0.utf8.filter { $0 != UInt8(ascii: ".") }, as: UTF8.self) }
            }
        }
        var pointers: [Int] = []
        if let value = text(.diagnosisPointers) {
            let parts = value.split(separator: ",").map { Int(String($0).trimmingBlanks()) }
            if parts.count > 4 || parts.contains(where: { pointer in pointer.map { !(1...max(diagnoses.count, 1)).contains($0) || diagnoses.isEmpty } ?? true }) {
                fail(.diagnosisPointers, .pointerInvalid, "diagnosis_pointers must be up to 4 positions (1-\(diagnoses.count)) in the claim's diagnoses", value: value)
            } else {
                pointers = parts.compactMap { $0 }
            }
        }
        let patientLast = limited(.patientLast, text(.patientLast), 100)
        let patientFirst = limited(.patientFirst, text(.patientFirst), 100)
        guard errors.count == errorCountBefore,
              let claimID, let partnerID, let patientID, let dateOfBirth, let payerID,
              let npi, let hcpcs, let serviceFrom, let serviceTo else { return nil }
        return ClaimLine(
            claimID: claimID, lineNumber: lineNumber, partnerID: partnerID, patientID: patientID,
            patientLast: patientLast, patientFirst: patientFirst,
            dateOfBirth: dateOfBirth, payerID: payerID, payerName: text(.payerName), billingNPI: npi,
            hcpcs: hcpcs, modifiers: modifiers, icd10: icd10, serviceFrom: serviceFrom, serviceTo: serviceTo,
            units: units, chargeCents: chargeCents, notes: text(.notes), rentalMonth: rentalMonth,
            diagnoses: diagnoses, diagnosisPointers: pointers)
    }
}

/// One record of a claims file as the validator reads it: CSV and XML both provide it.
public protocol ClaimRecord {
    /// Physical line where the record starts.
    var line: Int { get }
    /// Data record number (1-based).
    var record: Int { get }
    var byteOffset: Int { get }
    /// Set when the record's shape is wrong (a CSV row with the wrong number of fields).
    var structuralProblem: (code: ErrorCode, message: String)? { get }
    /// The column's value with surrounding blanks trimmed; `nil` when absent or empty.
    func text(_ column: ClaimColumn) -> String?
    /// Column number in the file (1-based), 0 when not applicable.
    func columnNumber(_ column: ClaimColumn) -> Int
    /// The name the file uses for the column (header or element name).
    func fieldName(_ column: ClaimColumn) -> String
}

/// Upper-cases ASCII letters only, and returns the same string when there is nothing to change
/// (codes almost always arrive upper-case).
func asciiUppercased(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 >= 97 && $0 <= 122 }) else { return text }
    return String(decoding: text.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
}
