import Foundation
import SQLiteStore
import XMLStream

/// Imports a claims file (CSV or XML, layout v1): hash and screen the file, open its records
/// (CSV header mapping, or XML with optional XSD), then validate and load every record in one
/// streaming pass inside one transaction, which also commits the job's outcome. Under `abort`
/// any bad row rolls the rows back; under `skip_rows` the good rows stay unless `max_errors`
/// is exceeded. Bad rows are listed with line, column, code and value.
struct ClaimsImportJob: JobKind {
    var name: JobKindName { .claimsImport }
    var stages: [Stage] { Stage.allCases }

    /// Ends the parse task. A small file's is recorded in the load's commit (one commit less
    /// per file, which is most of a burst of small files); a file of 1 MiB or more gets its own
    /// commit now, so `jobs show` tells that its parse is over while it loads.
    private func endParse(_ task: Int64, bytes: Int64, store: IntakeStore) throws -> ParsedTask? {
        guard bytes < 1 << 20 else {
            try store.finishTask(task, state: "succeeded", done: bytes, now: epochNow())
            return nil
        }
        return ParsedTask(task: task, bytes: bytes, at: epochNow())
    }

    func run(_ context: JobContext) throws -> JobOutcome {
        let store = context.store
        let steps = FileIntakeSteps(context: context)
        let feed = context.feed ?? FeedRule.defaultClaims
        let tasks = try steps.beginTasks([.parse, .validate, .load])
        let parseTask = tasks[.parse] ?? 0, validateTask = tasks[.validate] ?? 0, loadTask = tasks[.load] ?? 0
        let allTasks = [parseTask, validateTask, loadTask]

        let (file, path) = try steps.workFilePath()
        let screened = try steps.hashAndScreen(file: file, path: path, parseTask: parseTask)
        if let outcome = screened.outcome { return outcome }

        let loader = ClaimsLoadPass(context: context, feed: feed, file: file, tasks: (validateTask, loadTask))
        switch feed.format {
        case .csv:
            var options = CSVReader.Options()
            options.delimiter = feed.delimiter.utf8.first ?? UInt8(ascii: ",")
            options.encoding = feed.encoding
            let reader: CSVReader
            let header: [String]
            do {
                reader = try CSVReader(path: path, options: options)
                guard try reader.next() else {
                    return try steps.rejectFile(code: .noHeader, message: "the file has no header row", tasks: allTasks)
                }
                header = reader.strings()
            } catch let error as CSVReadError {
                return try steps.rejectFile(code: error.code, message: error.message, line: error.line, byteOffset: error.byteOffset, tasks: allTasks)
            }
            let required = Set(ClaimColumn.allCases.filter(\.isRequired))
            switch HeaderMapping<ClaimColumn>.make(header: header, required: required, aliases: feed.columnAliases) {
            case .success(let mapping):
                let stream = CSVClaimStream(records: CSVClaimRecords(reader: reader, mapping: mapping))
                return try loader.run(stream, parsed: try endParse(parseTask, bytes: screened.size, store: store))
            case .failure(let error):
                return try steps.rejectFile(code: error.code, message: error.message, line: 1, field: error.columns.joined(separator: ","), tasks: allTasks)
            }
        case .xml:
            let reader: XMLStreamReader
            do {
                let schemaPath = try feed.schema.map { try SchemaLibrary.path(for: $0, spool: context.spool) }
                reader = try XMLStreamReader(path: path, schemaPath: schemaPath)
            } catch let error as XMLStreamError {
                return try steps.rejectFile(code: ErrorCode(rawValue: error.code.rawValue) ?? .xmlMalformed, message: error.message,
                                            line: error.line, tasks: allTasks)
            }
            let stream = XMLClaimStream(reader: reader)
            return try loader.run(stream, parsed: try endParse(parseTask, bytes: screened.size, store: store))
        case .archive:
            return try steps.rejectFile(code: .unsupportedFormat, message: "feed \(feed.name) sends archives to the claims import; use format archive with kind archive", tasks: allTasks)
        }
    }
}

/// The validate-and-load pass over any claims record stream, in one transaction with the
/// job's outcome.
struct ClaimsLoadPass {
    let context: JobContext
    let feed: FeedRule
    let file: FileRecord
    let tasks: (validate: Int64, load: Int64)

    /// What the reading thread hands the loading thread for one record, in file order.
    enum Item: Sendable {
        /// A record that passed validation, with where it came from (for errors found while loading).
        case line(ClaimLine, ClaimSource)
        /// A record refused before loading: read, validation or incomplete-upload errors.
        case rejected([RowError])
        /// A structural error that ends the file; `counted` when it belongs to a record read.
        case fatal(RowError, counted: Bool)
    }

    /// Records per batch handed between the threads.
    static let batchSize = 512

    /// Two threads: this one loads into SQLite (it owns the connection), a producer reads and
    /// validates. The load is the slower half, so validation costs almost no wall time.
    /// `parsed`: a parse task that ended, recorded in the load's commit.
    func run<Stream: ClaimRecordStream>(_ stream: Stream, parsed: ParsedTask? = nil) throws -> JobOutcome {
        let store = context.store
        let validator = ClaimLineValidator(partner: file.partner, today: context.today)
        let maxRows = context.config.partnerLimits[file.partner]?.maxRows
        let partner = file.partner
        let requireFinalNewline = feed.requireFinalNewline
        let reader = Handover(value: stream)
        let pipe = BatchPipe<[Item]>(label: "intake.claims.read") { send in
            var stream = reader.value
            Self.produce(&stream, validator: validator, maxRows: maxRows, partner: partner,
                         requireFinalNewline: requireFinalNewline, send: send)
        }
        defer { pipe.finish() }
        // Every key the load writes is right by construction (the job's own file and job ids,
        // the claim row inserted just before its lines), so the three parent lookups a row
        // would cost with foreign keys on are skipped for this transaction only.
        try store.connection.execute("PRAGMA foreign_keys=OFF")
        defer { try? store.connection.execute("PRAGMA foreign_keys=ON") }
        return try store.transaction {
            let now = epochNow()
            try store.startTask(tasks.validate, total: nil, now: now)
            try store.startTask(tasks.load, total: nil, now: now)
            let loader = try ClaimsLoader(connection: store.connection, fileID: file.id, jobID: context.job.id, partner: file.partner)
            var rentals = RentalLookup(connection: store.connection)
            var collector = ErrorCollector(limit: context.config.maxListedErrors)
            var rowsRead = 0, rowsLoaded = 0, rowsRejected = 0
            var fatal: RowError?
            batches: while let batch = pipe.next() {
                try context.cancellation.check()
                for item in batch {
                    switch item {
                    case .fatal(let error, let counted):
                        if counted { rowsRead += 1 }
                        fatal = error
                        break batches
                    case .rejected(let errors):
                        rowsRead += 1
                        rowsRejected += 1
                        collector.add(contentsOf: errors)
                    case .line(let line, let source):
                        rowsRead += 1
                        // A rental line without its month: count it from the partner's rental record.
                        if line.isRental && line.rentalMonth == nil, let problem = try rentals.check(line, partner: partner) {
                            rowsRejected += 1
                            collector.add(RowError(line: source.line, record: source.record, byteOffset: source.byteOffset, column: source.modifiersColumn,
                                                   field: "modifiers", code: problem.code, message: problem.message, value: line.modifiers.joined(separator: ",")))
                            continue
                        }
                        switch try loader.insert(line, sourceLine: source.line) {
                        case .inserted:
                            rowsLoaded += 1
                        case .duplicateLine:
                            rowsRejected += 1
                            collector.add(RowError(line: source.line, record: source.record, byteOffset: source.byteOffset,
                                                   column: source.lineNumberColumn, field: "line_no",
                                                   code: .duplicateLine, message: "claim \(line.claimID) line \(line.lineNumber) appears more than once in the file",
                                                   value: "\(line.claimID)/\(line.lineNumber)"))
                        }
                    }
                }
            }
            let pass = LoadPassOutcome(rowsRead: rowsRead, rowsLoaded: rowsLoaded, rowsRejected: rowsRejected, fatal: fatal)
            return try pass.commit(&collector, feed: feed, context: context, tasks: tasks, parsed: parsed)
        }
    }

    /// The reading thread: records to validated lines or their errors, in batches.
    private static func produce<Stream: ClaimRecordStream>(_ stream: inout Stream, validator: ClaimLineValidator, maxRows: Int?, partner: String,
                                                           requireFinalNewline: Bool, send: ([Item]) -> Bool) {
        var batch: [Item] = []
        batch.reserveCapacity(batchSize)
        var rowErrors: [RowError] = []
        var rowsRead = 0
        func flush() -> Bool {
            defer { batch.removeAll(keepingCapacity: true) }
            return batch.isEmpty || send(batch)
        }
        while true {
            let record: Stream.Record
            do {
                guard let next = try stream.next() else { break }
                record = next
            } catch {
                if error.isFatal {
                    batch.append(.fatal(error.error, counted: false))
                    break
                }
                rowsRead += 1
                batch.append(.rejected([error.error]))
                if batch.count >= batchSize, !flush() { return }
                continue
            }
            rowsRead += 1
            if let maxRows, rowsRead > maxRows {
                batch.append(.fatal(RowError(line: record.line, record: record.record, byteOffset: record.byteOffset, column: 0, field: "", code: .tooManyRows,
                                             message: "the file has more than \(maxRows) records, the most partner \(partner) may send in one file", value: ""),
                                    counted: true))
                break
            }
            if requireFinalNewline && stream.lastRecordWasCut {
                batch.append(.rejected([RowError(line: record.line, record: record.record, byteOffset: record.byteOffset, column: 0, field: "", code: .incompleteUpload,
                                                 message: "the last record has no line break: the file looks cut short, most likely an incomplete upload; send the whole file again (or set require_final_newline: false for this feed)", value: "")]))
            } else {
                rowErrors.removeAll(keepingCapacity: true)
                if let line = validator.validate(record, errors: &rowErrors) {
                    batch.append(.line(line, ClaimSource(record)))
                } else {
                    batch.append(.rejected(rowErrors))
                }
            }
            if batch.count >= batchSize, !flush() { return }
        }
        _ = flush()
    }
}

/// Where a validated line came from, kept for the errors the load itself can find.
struct ClaimSource: Sendable {
    let line: Int
    let record: Int
    let byteOffset: Int
    let modifiersColumn: Int
    let lineNumberColumn: Int

    init<Record: ClaimRecord>(_ record: Record) {
        line = record.line
        self.record = record.record
        byteOffset = record.byteOffset
        modifiersColumn = record.columnNumber(.modifiers)
        lineNumberColumn = record.columnNumber(.lineNumber)
    }
}

/// Keeps the first `limit` errors in detail and exact counts of all of them, so memory stays
/// bounded on a file where every row is bad.
struct ErrorCollector {
    let limit: Int
    private(set) var listed: [RowError] = []
    private(set) var counts: [ErrorCode: Int] = [:]
    private(set) var total = 0

    init(limit: Int) { self.limit = limit }

    mutating func add(_ error: RowError) {
        total += 1
        counts[error.code, default: 0] += 1
        if listed.count < limit { listed.append(error) }
    }

    mutating func add(contentsOf errors: [RowError]) {
        for error in errors { add(error) }
    }

    var mostFrequentCode: ErrorCode? {
        counts.max { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }?.key
    }
}

/// Finds the rental a claim line bills (same partner, patient and HCPCS, started on or before
/// the date of service) and checks the line's modifiers against the rental month.
struct RentalLookup {
    let connection: Connection
    /// Partners with no rental on record skip the query (a lookup per rental line was a
    /// seventh of a million-line load).
    private var partnersWithRentals: [String: Bool] = [:]

    init(connection: Connection) {
        self.connection = connection
    }

    mutating func check(_ line: ClaimLine, partner: String) throws -> (code: ErrorCode, message: String)? {
        if partnersWithRentals[partner] == nil {
            partnersWithRentals[partner] = try connection.fetchInt("SELECT EXISTS (SELECT 1 FROM rentals WHERE partner = ?)", partner) == 1
        }
        guard partnersWithRentals[partner] == true else { return nil }
        guard let rental = try connection.fetchOne("""
            SELECT start_date, pause_start, pause_end FROM rentals WHERE partner = ? AND patient_id = ? AND hcpcs = ? AND start_date <= ?
            ORDER BY start_date DESC LIMIT 1
            """, partner, line.patientID, line.hcpcs, line.serviceFrom.description),
            let start = rental.string("start_date").flatMap(CivilDate.init(iso:)) else { return nil }
        let paused = RentalRules.pausedFullMonths(pauseStart: rental.string("pause_start").flatMap(CivilDate.init(iso:)),
                                                  pauseEnd: rental.string("pause_end").flatMap(CivilDate.init(iso:)),
                                                  before: (line.serviceFrom.year, line.serviceFrom.month))
        let month = RentalRules.month(of: line.serviceFrom, start: start, pausedFullMonths: paused)
        return RentalRules.check(month: month, hcpcs: line.hcpcs, modifiers: line.modifiers)
    }
}
