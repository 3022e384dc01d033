/// Format rules for the identifiers on a claim line. Each works on the field's bytes so the
/// bulk import does not build strings it then throws away.
public enum IdentifierRules {
    /// NPI: 10 digits, the first 1 or 2, and a Luhn check digit computed over "80840" followed by
    /// the first nine digits (the card issuer prefix CMS uses). 1234567893 is valid.
    public enum NPIResult: Equatable { case valid, badFormat, badCheckDigit }

    public static func checkNPI(_ bytes: UnsafeBufferPointer<UInt8>) -> NPIResult {
        guard bytes.count == 10, bytes.allSatisfy(isDigit) else { return .badFormat }
        guard bytes[0] == UInt8(ascii: "1") || bytes[0] == UInt8(ascii: "2") else { return .badFormat }
        // Luhn over the first nine digits, doubling from the rightmost; the prefix 80840 adds 24.
        var sum = 24
        for index in 0..<9 {
            let digit = Int(bytes[8 - index]) - 48
            if index % 2 == 0 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        let check = (10 - sum % 10) % 10
        return check == Int(bytes[9]) - 48 ? .valid : .badCheckDigit
    }

    /// HCPCS Level II: one letter and four digits (E0601, K0001, A4604).
    public static func isHCPCS(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 5, isUpperLetter(bytes[0]) else { return false }
        return (1..<5).allSatisfy { isDigit(bytes[$0]) }
    }

    /// A modifier: two letters or digits (RR, KH, NU, 59).
    public static func isModifier(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.count == 2 && bytes.allSatisfy { isUpperLetter($0) || isDigit($0) }
    }

    /// ICD-10-CM: a letter, a digit, then letters or digits; 3 to 7 characters, an optional dot
    /// after the third (G47.33, J441, E119).
    public static func isICD10(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var characters: [UInt8] = []
        characters.reserveCapacity(8)
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: ".") {
                guard index == 3, bytes.count > 4 else { return false }
                continue
            }
            characters.append(byte)
        }
        guard (3...7).contains(characters.count), isUpperLetter(characters[0]), isDigit(characters[1]) else { return false }
        return characters[2...].allSatisfy { isUpperLetter($0) || isDigit($0) }
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    @inline(__always) static func isUpperLetter(_ byte: UInt8) -> Bool { byte >= 65 && byte <= 90 }
}

/// Exact money: parses dollars with up to two decimals into integer cents.
public enum Money {
    /// `"12"`, `"12.5"`, `"12.50"` → 1200, 1250, 1250. No sign, no thousands separators,
    /// at most two decimals; `nil` otherwise. Caps at 9,999,999,999.99 to stay far from overflow.
    public static func parseCents(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 13 else { return nil }
        var dollars: Int64 = 0
        var cents: Int64 = 0
        var decimals = -1
        var sawDigit = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard decimals < 0, sawDigit else { return nil }
                decimals = 0
                continue
            }
            guard IdentifierRules.isDigit(byte) else { return nil }
            let digit = Int64(byte - 48)
            if decimals >= 0 {
                decimals += 1
                guard decimals <= 2 else { return nil }
                cents = cents * 10 + digit
            } else {
                sawDigit = true
                dollars = dollars * 10 + digit
            }
        }
        guard sawDigit, decimals != 0 else { return nil }
        if decimals == 1 { cents *= 10 }
        return dollars * 100 + cents
    }

    /// 1250 → "12.50".
    public static func format(cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
