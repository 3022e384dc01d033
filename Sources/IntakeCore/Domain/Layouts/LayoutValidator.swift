import Foundation

/// Checks a raw record against its layout's field rules. Reports every failing field.
struct LayoutValidator {
    let layout: RecordLayout
    let today: CivilDate

    func validate(_ raw: RawRecord, errors: inout [RowError]) -> CheckedRecord? {
        let before = errors.count
        func fail(_ index: Int?, _ code: ErrorCode, _ message: String, value: String = "") {
            errors.append(RowError(line: raw.line, record: raw.record, byteOffset: raw.byteOffset, column: index.map { raw.columns[$0] } ?? 0,
                                   field: index.map { layout.fields[$0].name } ?? "", code: code, message: message, value: value))
        }
        if let problem = raw.structuralProblem {
            fail(nil, problem.code, problem.message)
            return nil
        }
        var values = [FieldValue?](repeating: nil, count: layout.fields.count)
        for (index, spec) in layout.fields.enumerated() {
            guard let text = raw.values[index] else {
                if spec.isRequired { fail(index, .required, "\(spec.name) is required and is empty") }
                continue
            }
            switch spec.kind {
            case .text(let maxBytes):
                if text.utf8.count > maxBytes { fail(index, .tooLong, "\(spec.name) is longer than \(maxBytes) bytes", value: text) } else { values[index] = .text(text) }
            case .date:
                if let date = CivilDate(iso: text) { values[index] = .date(date) } else {
                    fail(index, .dateFormat, "\(spec.name) must be a real date written YYYY-MM-DD", value: text)
                }
            case .money(let signed):
                var body = text
                let negative = signed && body.hasPrefix("-")
                if negative { body.removeFirst() }
                if let cents = body.withUTF8(Money.parseCents) { values[index] = .cents(negative ? -cents : cents) } else {
                    fail(index, .moneyFormat, "\(spec.name) must be dollars with up to 2 decimals\(signed ? " (a leading minus is allowed)" : ", no sign"), no thousands separator", value: text)
                }
            case .integer(let range):
                if let number = Int(text), range.contains(number) { values[index] = .integer(number) } else {
                    fail(index, .valueRange, "\(spec.name) must be a whole number from \(range.lowerBound) to \(range.upperBound)", value: text)
                }
            case .choice(let options):
                let lowered = text.lowercased()
                if options.contains(lowered) { values[index] = .text(lowered) } else {
                    fail(index, .valueChoice, "\(spec.name) must be one of: \(options.joined(separator: ", "))", value: text)
                }
            case .npi:
                var npi = text
                switch npi.withUTF8(IdentifierRules.checkNPI) {
                case .valid: values[index] = .text(text)
                case .badFormat: fail(index, .npiFormat, "\(spec.name) must be 10 digits starting with 1 or 2", value: text)
                case .badCheckDigit: fail(index, .npiCheckDigit, "\(spec.name) fails the NPI check digit (Luhn with the 80840 prefix)", value: text)
                }
            case .hcpcs:
                var code = asciiUppercased(text)
                if code.withUTF8(IdentifierRules.isHCPCS) { values[index] = .text(code) } else {
                    fail(index, .hcpcsFormat, "\(spec.name) must be one letter and four digits, like E0601", value: text)
                }
            case .flag:
                switch text.lowercased() {
                case "yes", "y", "true", "1": values[index] = .flag(true)
                case "no", "n", "false", "0": values[index] = .flag(false)
                default: fail(index, .valueChoice, "\(spec.name) must be yes or no", value: text)
                }
            case .adjustments:
                if let adjustments = Self.parseAdjustments(text) { values[index] = .adjustments(adjustments) } else {
                    fail(index, .adjustmentFormat, "\(spec.name) must be GROUP-REASON:AMOUNT pairs separated by ';' with groups CO, PR, OA or PI (like CO-45:120.00;PR-1:50.00)", value: text)
                }
            }
        }
        guard errors.count == before else { return nil }
        return CheckedRecord(layout: layout, values: values, line: raw.line, record: raw.record, byteOffset: raw.byteOffset)
    }

    /// `CO-45:120.00;PR-1:50.00` → adjustments; `nil` when any part is malformed.
    static func parseAdjustments(_ text: String) -> [Adjustment]? {
        var adjustments: [Adjustment] = []
        for part in text.split(separator: ";") {
            let pieces = part.split(separator: ":")
            guard pieces.count == 2 else { return nil }
            let code = pieces[0].trimmingCharacters(in: .whitespaces).uppercased().split(separator: "-")
            guard code.count == 2, ["CO", "PR", "OA", "PI"].contains(String(code[0])), !code[1].isEmpty, code[1].allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
            var amount = pieces[1].trimmingCharacters(in: .whitespaces)
            let negative = amount.hasPrefix("-")
            if negative { amount.removeFirst() }
            guard let cents = amount.withUTF8(Money.parseCents) else { return nil }
            adjustments.append(Adjustment(group: String(code[0]), reason: String(code[1]), cents: negative ? -cents : cents))
        }
        return adjustments.isEmpty ? nil : adjustments
    }
}
