/// Picks the feed for a file: the partner's feeds by name pattern, in order; failing that,
/// a guess from the content; failing that, the unroutable pseudo-feed (rejected with the list
/// of the partner's feeds).
public struct FeedRouter {
    let config: IntakeConfig

    public init(config: IntakeConfig) { self.config = config }

    static let unroutable = FeedRule(name: "-", pattern: "*", kind: .unroutable)
    static let sniffedArchive = FeedRule(name: "sniffed-archive", pattern: "", kind: .archive, format: .archive)

    public func feed(partner: String, fileName: String, path: String) -> FeedRule {
        if let feed = config.feed(for: partner, fileName: fileName) { return feed }
        switch ContentSniffer.sniff(path: path) {
        case .archive: return Self.sniffedArchive
        case .xmlClaims: return FeedRule.sniffedXML
        case .csvClaims(let delimiter): return Self.sniffedCSV(delimiter: delimiter)
        case nil: return Self.unroutable
        }
    }

    /// The feed a job was routed to, by the name stored with the job.
    func feed(named name: String?, partner: String) -> FeedRule? {
        guard let name else { return nil }
        if let feed = config.feeds(for: partner).first(where: { $0.name == name }) { return feed }
        switch name {
        case FeedRule.sniffedXML.name: return FeedRule.sniffedXML
        case Self.sniffedArchive.name: return Self.sniffedArchive
        case Self.unroutable.name: return Self.unroutable
        default:
            for delimiter in [",", ";", "\t", "|"] where Self.sniffedCSV(delimiter: UInt8(ascii: Unicode.Scalar(delimiter) ?? ",")).name == name {
                return Self.sniffedCSV(delimiter: UInt8(ascii: Unicode.Scalar(delimiter) ?? ","))
            }
            return nil
        }
    }

    static func sniffedCSV(delimiter: UInt8) -> FeedRule {
        let suffix: String
        switch delimiter {
        case UInt8(ascii: ";"): suffix = "-semicolon"
        case UInt8(ascii: "\t"): suffix = "-tab"
        case UInt8(ascii: "|"): suffix = "-pipe"
        default: suffix = ""
        }
        return FeedRule(name: "sniffed-csv\(suffix)", pattern: "", format: .csv,
                        delimiter: String(UnicodeScalar(delimiter)))
    }
}
