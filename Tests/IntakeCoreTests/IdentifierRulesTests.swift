import IntakeCore
import Testing

@Suite("HME/DME field rules")
struct IdentifierRulesTests {
    func npi(_ text: String) -> IdentifierRules.NPIResult {
        var text = text
        return text.withUTF8(IdentifierRules.checkNPI)
    }

    @Test("NPI check digit: Luhn with the 80840 prefix")
    func npiCheckDigit() {
        #expect(npi("1234567893") == .valid)
        #expect(npi("1234567890") == .badCheckDigit)
        #expect(npi("123456789") == .badFormat)
        #expect(npi("3234567893") == .badFormat)
        #expect(npi("12345678a3") == .badFormat)
    }

    @Test("HCPCS is a letter and four digits", arguments: [("E0601", true), ("K0001", true), ("A4604", true), ("E060", false), ("0601E", false), ("EE601", false), ("e0601", false)])
    func hcpcs(code: String, valid: Bool) {
        var code = code
        let result = code.withUTF8(IdentifierRules.isHCPCS)
        #expect(result == valid)
    }

    @Test("ICD-10-CM format, dot optional after the third character", arguments: [("G47.33", true), ("G4733", true), ("J44.1", true), ("E119", true), ("M17.11", true), ("99.9", false), ("G4", false), ("U", false), ("G47.", false), ("G4.733", false), ("G47.33012", false)])
    func icd10(code: String, valid: Bool) {
        var code = code
        let result = code.withUTF8(IdentifierRules.isICD10)
        #expect(result == valid)
    }

    @Test("money parses to exact cents", arguments: [("12", Int64(1200)), ("12.5", 1250), ("12.50", 1250), ("0.01", 1), ("1200", 120000)])
    func moneyValid(text: String, cents: Int64) {
        var text = text
        let result = text.withUTF8(Money.parseCents)
        #expect(result == cents)
    }

    @Test("money refuses signs, separators and a third decimal", arguments: ["-12.00", "1,200.00", "12.345", "abc", "", ".5", "12."])
    func moneyInvalid(text: String) {
        var text = text
        let result = text.withUTF8(Money.parseCents)
        #expect(result == nil)
    }

    @Test("dates must exist on the calendar")
    func civilDates() {
        #expect(CivilDate(iso: "2024-02-29") != nil)
        #expect(CivilDate(iso: "2026-02-29") == nil)
        #expect(CivilDate(iso: "2026-02-30") == nil)
        #expect(CivilDate(iso: "03/15/2025") == nil)
        #expect(CivilDate(iso: "2026-13-01") == nil)
        #expect(CivilDate(iso: "1970-01-02")?.dayNumber == 1)
        #expect(CivilDate(iso: "2015-10-01")?.description == "2015-10-01")
    }
}
