import Foundation
import IntakeCore
import Testing

@Suite("cron expressions")
struct CronTests {
    func epoch(_ text: String) -> Double {
        (try? Date(text, strategy: .iso8601))?.timeIntervalSince1970 ?? 0
    }

    @Test("fields, ranges, lists and steps")
    func matching() throws {
        let monthly = try CronExpression("0 6 1 * *")
        #expect(monthly.matches(epoch("2026-12-01T06:00:00Z")))
        #expect(!monthly.matches(epoch("2026-12-02T06:00:00Z")))
        let weekdays = try CronExpression("*/15 8-17 * * 1-5")
        #expect(weekdays.matches(epoch("2026-12-03T08:45:00Z")))   // a Thursday
        #expect(!weekdays.matches(epoch("2026-12-05T08:45:00Z")))  // a Saturday
        #expect(!weekdays.matches(epoch("2026-12-03T08:50:00Z")))
    }

    @Test("slots between two times, and the latest before a time")
    func slots() throws {
        let hourly = try CronExpression("0 * * * *")
        let slots = hourly.slots(after: epoch("2026-12-03T01:30:00Z"), upTo: epoch("2026-12-03T05:00:00Z"))
        #expect(slots.count == 4)
        #expect(hourly.latestSlot(atOrBefore: epoch("2026-12-03T05:59:00Z")) == epoch("2026-12-03T05:00:00Z"))
    }

    @Test("bad expressions are refused with a reason", arguments: ["* * * *", "61 * * * *", "* * 0 * *", "*/0 * * * *", "a b c d e"])
    func invalid(text: String) {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression(text) }
    }
}
