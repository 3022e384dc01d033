import IntakeCore
import Testing

@Suite("rental rules (42 CFR 414.229, 414.226)")
struct RentalRulesTests {
    @Test("capped rental modifiers by month, and the cap")
    func cappedModifiers() {
        #expect(RentalRules.modifiers(month: 1, hcpcs: "E0601") == ["RR", "KH"])
        #expect(RentalRules.modifiers(month: 3, hcpcs: "E0601") == ["RR", "KI"])
        #expect(RentalRules.modifiers(month: 4, hcpcs: "E0601") == ["RR", "KJ"])
        #expect(RentalRules.modifiers(month: 13, hcpcs: "E0601") == ["RR", "KJ"])
        #expect(RentalRules.modifiers(month: 14, hcpcs: "E0601") == nil)
        #expect(RentalRules.modifiers(month: 36, hcpcs: "E1390") == ["RR"])
        #expect(RentalRules.modifiers(month: 37, hcpcs: "E1390") == nil)
    }

    @Test("amounts: 10% of the purchase price in months 1-3, 7.5% in months 4-13, rounded half up")
    func amounts() {
        #expect(RentalRules.cappedRentalAmount(month: 1, purchasePriceCents: 100_000) == 10_000)
        #expect(RentalRules.cappedRentalAmount(month: 4, purchasePriceCents: 100_000) == 7_500)
        #expect(RentalRules.cappedRentalAmount(month: 2, purchasePriceCents: 123_456) == 12_346)
        #expect(RentalRules.cappedRentalAmount(month: 5, purchasePriceCents: 123_456) == 9_259)
    }

    @Test("a break longer than 60 days plus the rest of its month needs new documentation")
    func breaks() throws {
        let start = try #require(CivilDate(iso: "2025-03-10"))
        #expect(RentalRules.breakNeedsDocumentation(pauseStart: start, pauseEnd: try #require(CivilDate(iso: "2025-06-20"))))
        #expect(!RentalRules.breakNeedsDocumentation(pauseStart: start, pauseEnd: try #require(CivilDate(iso: "2025-05-30"))))
        #expect(RentalRules.pausedFullMonths(pauseStart: start, pauseEnd: CivilDate(iso: "2025-06-20"), before: (2025, 7)) == 2)
    }

    @Test("a claim line's modifiers against its rental month")
    func claimCheck() {
        #expect(RentalRules.check(month: 2, hcpcs: "E0601", modifiers: ["RR", "KI"]) == nil)
        #expect(RentalRules.check(month: 2, hcpcs: "E0601", modifiers: ["RR", "KH"])?.code == .rentalModifierMismatch)
        #expect(RentalRules.check(month: 14, hcpcs: "E0601", modifiers: ["RR", "KJ"])?.code == .rentalCapExceeded)
        #expect(RentalRules.check(month: 10, hcpcs: "E1390", modifiers: ["RR"]) == nil)
    }
}
