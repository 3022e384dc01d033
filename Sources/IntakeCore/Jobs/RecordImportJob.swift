import Foundation
import SQLiteStore
import XMLStream

/// Imports a domain feed (patients, payers, rentals, fee schedules, remittances, items, stock
/// movements, inventory counts), CSV or XML, with the same guarantees as claims: one streaming
/// pass, one transaction with the job's outcome, the feed's error policy, every bad row listed.
struct RecordImportJob: JobKind {
    let name: JobKindName
    var stages: [Stage] { [.parse, .validate, .load, .deliver] }

    func run(_ context: JobContext) throws -> JobOutcome {
        let store = context.store
        let steps = FileIntakeSteps(context: context)
        let feed = context.feed ?? FeedRule(name: name.rawValue, pattern: "*", kind: name)
        guard let layout = Layouts.layout(for: name), var applier = makeApplier() else {
            throw JobError.transient("no layout for \(name.rawValue)")
        }
        let tasks = try steps.beginTasks([.parse, .validate, .load])
        let parseTask = tasks[.parse] ?? 0, validateTask = tasks[.validate] ?? 0, loadTask = tasks[.load] ?? 0
        let allTasks = [parseTask, validateTask, loadTask]
        let (file, path) = try steps.workFilePath()
        let screened = try steps.hashAndScreen(file: file, path: path, parseTask: parseTask)
        if let outcome = screened.outcome { return outcome }

        var stream: any RawRecordStream
        do {
            switch feed.format {
            case .archive:
                return try steps.rejectFile(code: .unsupportedFormat, message: "feed \(feed.name) sends archives to \(name.rawValue); give archives their own feed with format archive", tasks: allTasks)
            case .csv:
                var options = CSVReader.Options()
                options.delimiter = feed.delimiter.utf8.first ?? UInt8(ascii: ",")
                options.encoding = feed.encoding
                let reader: CSVReader
                do { reader = try CSVReader(path: path, options: options) } catch {
                    return try steps.rejectFile(code: error.code, message: error.message, tasks: allTasks)
                }
                stream = try CSVLayoutStream(reader: reader, layout: layout, aliases: feed.columnAliases)
            case .xml:
                let schemaPath = try feed.schema.map { try SchemaLibrary.path(for: $0, spool: context.spool) }
                do { stream = XMLLayoutStream(reader: try XMLStreamReader(path: path, schemaPath: schemaPath), layout: layout) } catch {
                    return try steps.rejectFile(code: ErrorCode(rawValue: error.code.rawValue) ?? .xmlMalformed, message: error.message, line: error.line, tasks: allTasks)
                }
            }
        } catch let failure as RecordStreamFailure {
            return try steps.rejectFile(code: failure.error.code, message: failure.error.message, line: failure.error.line, field: failure.error.field, tasks: allTasks)
        }
        try store.finishTask(parseTask, state: "succeeded", done: screened.size, now: epochNow())

        let validator = LayoutValidator(layout: layout, today: context.today)
        return try store.transaction {
            try store.startTask(validateTask, total: nil, now: epochNow())
            try store.startTask(loadTask, total: nil, now: epochNow())
            let applyContext = ApplyContext(connection: store.connection,
                                            writer: RecordWriter(connection: store.connection, jobID: context.job.id, fileID: file.id),
                                            partner: file.partner, jobID: context.job.id, fileID: file.id)
            var collector = ErrorCollector(limit: context.config.maxListedErrors)
            var rowErrors: [RowError] = []
            var rowsRead = 0, rowsLoaded = 0, rowsRejected = 0
            var fatal: RowError?
                        while true {
                let raw: RawRecord
                do {
                    guard let next = try stream.next() else { break }
                    raw = next
                } catch let failure as RecordStreamFailure {
                    if failure.isFatal { fatal = failure.error; break }
                    rowsRead += 1
                    rowsRejected += 1
                    collector.add(failure.error)
                    continue
                }
                rowsRead += 1
                if rowsRead % 4096 == 0 { try context.cancellation.check() }
                if let maxRows = context.config.partnerLimits[file.partner]?.maxRows, rowsRead > maxRows {
                    fatal = RowError(line: raw.line, record: raw.record, byteOffset: raw.byteOffset, column: 0, field: "", code: .tooManyRows,
                                     message: "the file has more than \(maxRows) records, the most partner \(file.partner) may send in one file", value: "")
                    break
                }
                if feed.requireFinalNewline && stream.lastRecordWasCut {
                    rowsRejected += 1
                    collector.add(RowError(line: raw.line, record: raw.record, byteOffset: raw.byteOffset, column: 0, field: "", code: .incompleteUpload,
                                           message: "the last record has no line break: the file looks cut short, most likely an incomplete upload; send the whole file again (or set require_final_newline: false for this feed)", value: ""))
                    continue
                }
                rowErrors.removeAll(keepingCapacity: true)
                guard let record = validator.validate(raw, errors: &rowErrors) else {
                    rowsRejected += 1
                    collector.add(contentsOf: rowErrors)
                    continue
                }
                let problems = try applier.apply(record, applyContext)
                if problems.isEmpty { rowsLoaded += 1 } else {
                    rowsRejected += 1
                    collector.add(contentsOf: problems)
                }
            }
            let fileErrors = fatal == nil ? try applier.finish(applyContext) : []
            let pass = LoadPassOutcome(rowsRead: rowsRead, rowsLoaded: rowsLoaded, rowsRejected: rowsRejected, fatal: fatal, fileErrors: fileErrors)
            return try pass.commit(&collector, feed: feed, context: context, tasks: (validateTask, loadTask))
        }
    }

    private func makeApplier() -> (any RecordApplier)? {
        switch name {
        case .remittanceImport: return RemittanceApplier()
        case .stockMovementsImport: return StockMovementApplier()
        case .inventoryCountImport: return InventoryCountApplier()
        default: return UpsertApplier.appliers(for: name)
        }
    }
}
