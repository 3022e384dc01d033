/// The shape of one record of a feed: its fields and their rules, declared once per layout
/// (patients, rentals, remittances ...). Claims have their own, faster path (`ClaimColumn`).
public struct RecordLayout: Sendable {
    public let kind: JobKindName
    /// XML root and record element names.
    public let root: String
    public let record: String
    public let fields: [FieldSpec]

    public init(kind: JobKindName, root: String, record: String, fields: [FieldSpec]) {
        self.kind = kind
        self.root = root
        self.record = record
        self.fields = fields
    }

    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }
}

/// One field: its name (CSV header and XML element), whether it is required, and its rule.
public struct FieldSpec: Sendable {
    public let name: String
    public let isRequired: Bool
    public let kind: FieldKind

    public init(_ name: String, required: Bool = true, _ kind: FieldKind = .text(maxBytes: 100)) {
        self.name = name
        self.isRequired = required
        self.kind = kind
    }
}

/// What a field holds and how it is checked.
public enum FieldKind: Sendable {
    case text(maxBytes: Int)
    case date
    /// Dollars with at most two decimals, stored as cents; `signed` allows a leading minus.
    case money(signed: Bool)
    case integer(ClosedRange<Int>)
    case choice([String])
    case npi
    case hcpcs
    /// `yes`/`no` (also `y`/`n`, `true`/`false`, `1`/`0`).
    case flag
    /// `GROUP-REASON:AMOUNT;...` (835 claim adjustments).
    case adjustments
}

/// A checked value.
public enum FieldValue: Sendable, Equatable {
    case text(String)
    case date(CivilDate)
    case cents(Int64)
    case integer(Int)
    case flag(Bool)
    case adjustments([Adjustment])
}

/// One claim adjustment: group code (CO, PR, OA, PI), reason code (45, 1, 2, 3, 50 ...) and amount.
public struct Adjustment: Sendable, Equatable, Codable {
    public let group: String
    public let reason: String
    public let cents: Int64
    public var code: String { "\(group)-\(reason)" }
}

/// A record whose fields all passed their rules, by field name.
public struct CheckedRecord: Sendable {
    public let layout: RecordLayout
    public let values: [FieldValue?]
    public let line: Int
    public let record: Int
    public let byteOffset: Int

    public subscript(_ name: String) -> FieldValue? {
        layout.index(of: name).flatMap { values[$0] }
    }

    public func text(_ name: String) -> String? {
        switch self[name] {
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .date(let value): return value.description
        case .cents(let value): return Money.format(cents: value)
        case .flag(let value): return value ? "yes" : "no"
        default: return nil
        }
    }

    public func date(_ name: String) -> CivilDate? {
        if case .date(let value) = self[name] { return value }
        return nil
    }

    public func cents(_ name: String) -> Int64? {
        if case .cents(let value) = self[name] { return value }
        return nil
    }

    public func integer(_ name: String) -> Int? {
        if case .integer(let value) = self[name] { return value }
        return nil
    }

    public func flag(_ name: String) -> Bool? {
        if case .flag(let value) = self[name] { return value }
        return nil
    }

    public func adjustments(_ name: String) -> [Adjustment] {
        if case .adjustments(let value) = self[name] { return value }
        return []
    }
}
