/// One validated service line of a claims file (layout v1, DESIGN.md §8.1).
public struct ClaimLine: Sendable, Equatable {
    public var claimID: String
    public var lineNumber: Int
    public var partnerID: String
    public var patientID: String
    public var patientLast: String?
    public var patientFirst: String?
    public var dateOfBirth: CivilDate
    public var payerID: String
    public var payerName: String?
    public var billingNPI: String
    public var hcpcs: String
    /// Up to four two-character codes, in file order.
    public var modifiers: [String]
    /// Stored without the dot (G4733), as payers expect it on an 837.
    public var icd10: String?
    public var serviceFrom: CivilDate
    public var serviceTo: CivilDate
    public var units: Int
    public var chargeCents: Int64
    public var notes: String?
    /// For rental lines: the rental month this line bills, when the file says so.
    public var rentalMonth: Int? = nil
    /// The claim's diagnoses (without dots) and the 1-based pointers of this line into them.
    public var diagnoses: [String] = []
    public var diagnosisPointers: [Int] = []

    public var isRental: Bool { modifiers.contains("RR") }
}

/// The columns of the claims layout v1, matched case-insensitively and in any order.
public enum ClaimColumn: String, CaseIterable, Sendable {
    case claimID = "claim_id"
    case lineNumber = "line_no"
    case partnerID = "partner_id"
    case patientID = "patient_id"
    case patientLast = "patient_last"
    case patientFirst = "patient_first"
    case dateOfBirth = "dob"
    case payerID = "payer_id"
    case payerName = "payer_name"
    case billingNPI = "billing_npi"
    case hcpcs
    case modifiers
    case icd10
    case serviceFrom = "dos_from"
    case serviceTo = "dos_to"
    case units
    case chargeAmount = "charge_amount"
    case notes
    case rentalMonth = "rental_month"
    case diagnoses
    case diagnosisPointers = "diagnosis_pointers"

    /// Position in `allCases`, for array lookups on the per-row path (no hashing).
    public var ordinal: Int {
        switch self {
        case .claimID: return 0
        case .lineNumber: return 1
        case .partnerID: return 2
        case .patientID: return 3
        case .patientLast: return 4
        case .patientFirst: return 5
        case .dateOfBirth: return 6
        case .payerID: return 7
        case .payerName: return 8
        case .billingNPI: return 9
        case .hcpcs: return 10
        case .modifiers: return 11
        case .icd10: return 12
        case .serviceFrom: return 13
        case .serviceTo: return 14
        case .units: return 15
        case .chargeAmount: return 16
        case .notes: return 17
        case .rentalMonth: return 18
        case .diagnoses: return 19
        case .diagnosisPointers: return 20
        }
    }

    private static let utf8Names = allCases.map { Array($0.rawValue.utf8) }

    /// The column named by `bytes`, matched ignoring ASCII case, without making a `String`
    /// (an XML claims file names a column in every element).
    init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        for (index, name) in Self.utf8Names.enumerated() where name.count == bytes.count {
            var matches = true
            for offset in 0..<name.count {
                let byte = bytes[offset]
                if (byte >= 65 && byte <= 90 ? byte + 32 : byte) != name[offset] { matches = false; break }
            }
            if matches {
                self = Self.allCases[index]
                return
            }
        }
        return nil
    }

    public var isRequired: Bool {
        switch self {
        case .lineNumber, .patientLast, .patientFirst, .payerName, .modifiers, .icd10, .notes, .rentalMonth, .diagnoses, .diagnosisPointers: return false
        default: return true
        }
    }
}
