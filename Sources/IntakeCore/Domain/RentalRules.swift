/// Medicare's rental rules for DME (42 CFR 414.229 capped rentals, 414.226 oxygen).
public enum RentalRules {
    /// Oxygen equipment: paid as a rental for at most 36 months, without KH/KI/KJ.
    public static let oxygenCodes: Set<String> = ["E1390", "E1391", "E1392", "E0424", "E0431", "E0433", "E0434", "E0439",
                                                   "E0441", "E0442", "E0443", "E0444", "K0738"]

    public static func isOxygen(_ hcpcs: String) -> Bool { oxygenCodes.contains(hcpcs) }

    /// The last billable rental month.
    public static func cap(for hcpcs: String) -> Int { isOxygen(hcpcs) ? 36 : 13 }

    /// The modifiers rental month `month` is billed with, or `nil` past the cap.
    public static func modifiers(month: Int, hcpcs: String) -> [String]? {
        guard month >= 1, month <= cap(for: hcpcs) else { return nil }
        if isOxygen(hcpcs) { return ["RR"] }
        switch month {
        case 1: return ["RR", "KH"]
        case 2...3: return ["RR", "KI"]
        default: return ["RR", "KJ"]
        }
    }

    /// A claim line's rental modifiers against its rental month: the error, or `nil` when right.
    public static func check(month: Int, hcpcs: String, modifiers given: [String]) -> (code: ErrorCode, message: String)? {
        guard let expected = modifiers(month: month, hcpcs: hcpcs) else {
            return (.rentalCapExceeded, "rental month \(month) of \(hcpcs) is past the \(cap(for: hcpcs))-month cap and is not billable")
        }
        let pricing = Set(["KH", "KI", "KJ"])
        let givenPricing = given.filter { pricing.contains($0) }
        let expectedPricing = expected.filter { pricing.contains($0) }
        guard givenPricing == expectedPricing else {
            let wanted = expectedPricing.isEmpty ? "no KH/KI/KJ modifier (oxygen)" : expectedPricing.joined(separator: ",")
            return (.rentalModifierMismatch, "rental month \(month) of \(hcpcs) is billed with \(wanted), the line has \(given.joined(separator: ","))")
        }
        return nil
    }

    /// Capped rental amount from the purchase price: 10% in months 1-3, 7.5% in months 4-13,
    /// rounded half up to the cent.
    public static func cappedRentalAmount(month: Int, purchasePriceCents: Int64) -> Int64 {
        month <= 3 ? (purchasePriceCents * 10 + 50) / 100 : (purchasePriceCents * 75 + 500) / 1000
    }

    /// The rental month that `date` falls in, counting from `start` (month 1), less months the
    /// rental was paused for in full.
    public static func month(of date: CivilDate, start: CivilDate, pausedFullMonths: Int = 0) -> Int {
        (date.year - start.year) * 12 + (date.month - start.month) + 1 - pausedFullMonths
    }

    /// Whole calendar months inside a pause, before `month` (year, month).
    public static func pausedFullMonths(pauseStart: CivilDate?, pauseEnd: CivilDate?, before month: (year: Int, month: Int)) -> Int {
        guard let pauseStart, let pauseEnd, pauseEnd >= pauseStart else { return 0 }
        var count = 0
        var year = pauseStart.year, current = pauseStart.month
        while (year, current) < month {
            guard let first = CivilDate(year: year, month: current, day: 1),
                  let last = CivilDate(year: year, month: current, day: CivilDate.daysIn(month: current, year: year)) else { break }
            if first >= pauseStart && last <= pauseEnd { count += 1 }
            current += 1
            if current > 12 { current = 1; year += 1 }
        }
        return count
    }

    /// A break longer than 60 days plus the rest of the month it began in needs new
    /// documentation (and does not restart the count).
    public static func breakNeedsDocumentation(pauseStart: CivilDate, pauseEnd: CivilDate) -> Bool {
        let restOfMonth = CivilDate.daysIn(month: pauseStart.month, year: pauseStart.year) - pauseStart.day
        return pauseEnd.dayNumber - pauseStart.dayNumber > 60 + restOfMonth
    }
}
