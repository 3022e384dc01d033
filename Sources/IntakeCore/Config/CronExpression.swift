import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC.
/// Fields take `*`, numbers, ranges `a-b`, lists `a,b` and steps `*/n` or `a-b/n`; day of
/// week 0-7 (0 and 7 are Sunday). As in Vixie cron, when both day fields are restricted a
/// day matches if either does.
public struct CronExpression: Sendable, Equatable {
    public let text: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(ParseError) {
        self.text = text
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else { throw ParseError(description: "cron \"\(text)\" needs 5 fields (minute hour day month weekday), has \(fields.count)") }
        minutes = try Self.parse(fields[0], 0...59, name: "minute")
        hours = try Self.parse(fields[1], 0...23, name: "hour")
        days = try Self.parse(fields[2], 1...31, name: "day of month")
        months = try Self.parse(fields[3], 1...12, name: "month")
        weekdays = Set(try Self.parse(fields[4], 0...7, name: "day of week").map { $0 == 7 ? 0 : $0 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    static func parse(_ field: String, _ range: ClosedRange<Int>, name: String) throws(ParseError) -> Set<Int> {
        var values = Set<Int>()
        for part in field.split(separator: ",") {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(description: "bad \(name) field \"\(field)\"") }
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step >= 1 else { throw ParseError(description: "bad step in \(name) field \"\(field)\"") }
            let base = pieces[0]
            let bounds: ClosedRange<Int>
            if base == "*" {
                bounds = range
            } else if let dash = base.firstIndex(of: "-") {
                guard let low = Int(base[..<dash]), let high = Int(base[base.index(after: dash)...]), low <= high,
                      range.contains(low), range.contains(high) else { throw ParseError(description: "bad range in \(name) field \"\(field)\"") }
                bounds = low...high
            } else {
                guard let value = Int(base), range.contains(value) else { throw ParseError(description: "\(name) \"\(base)\" is outside \(range.lowerBound)-\(range.upperBound)") }
                bounds = pieces.count == 2 ? value...range.upperBound : value...value
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    /// True when the minute starting at `epochSeconds` (UTC) is a slot.
    public func matches(_ epochSeconds: Double) -> Bool {
        let components = Calendar.utc.dateComponents([.minute, .hour, .day, .month, .weekday], from: Date(timeIntervalSince1970: epochSeconds))
        guard let minute = components.minute, let hour = components.hour, let day = components.day,
              let month = components.month, let weekday = components.weekday else { return false }
        guard minutes.contains(minute), hours.contains(hour), months.contains(month) else { return false }
        let dayMatches = days.contains(day)
        let weekdayMatches = weekdays.contains(weekday - 1)
        if daysRestricted && weekdaysRestricted { return dayMatches || weekdayMatches }
        return dayMatches && weekdayMatches
    }

    /// Slot start times in `(after, upTo]`, oldest first, at most `limit` of them.
    public func slots(after: Double, upTo: Double, limit: Int = 10_000) -> [Double] {
        var slots: [Double] = []
        var minute = (after / 60).rounded(.down) * 60 + 60
        while minute <= upTo && slots.count < limit {
            if matches(minute) { slots.append(minute) }
            minute += 60
        }
        return slots
    }

    /// The latest slot at or before `time`, looking back at most `days` days.
    public func latestSlot(atOrBefore time: Double, days: Int = 62) -> Double? {
        var minute = (time / 60).rounded(.down) * 60
        let floor = time - Double(days) * 86_400
        while minute >= floor {
            if matches(minute) { return minute }
            minute -= 60
        }
        return nil
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()
}
