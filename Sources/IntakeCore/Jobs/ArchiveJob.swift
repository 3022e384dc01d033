import ArchiveSafe
import Foundation

/// An archive (zip, tar, tar.gz/bz2/xz/zst): unpacked safely, each member becomes a child job
/// routed by the partner's feeds, and the archive's job completes once every child has, with
/// their outcomes added up.
///
/// Runs twice: first it extracts and records the children (then waits on them as
/// dependencies); when it is claimed again, it aggregates.
struct ArchiveJob: JobKind {
    var name: JobKindName { .archive }
    var stages: [Stage] { [.parse, .load, .deliver] }

    func run(_ context: JobContext) throws -> JobOutcome {
        let children = try context.store.childJobs(of: context.job.id)
        if children.isEmpty {
            return try extract(context)
        }
        return try aggregate(context, children: children)
    }

    private func extract(_ context: JobContext) throws -> JobOutcome {
        let store = context.store
        let steps = FileIntakeSteps(context: context)
        let tasks = try steps.beginTasks([.parse, .load])
        let parseTask = tasks[.parse] ?? 0, extractTask = tasks[.load] ?? 0
        let (file, path) = try steps.workFilePath()
        let screened = try steps.hashAndScreen(file: file, path: path, parseTask: parseTask)
        if let outcome = screened.outcome { return outcome }
        try store.finishTask(parseTask, state: "succeeded", done: screened.size, now: epochNow())

        let limits = context.config.archiveLimits
        let depth = try store.archiveDepth(of: context.job)
        if depth >= limits.maxDepth {
            return try steps.rejectFile(code: .archiveTooDeep, message: "archives nested more than \(limits.maxDepth) deep are refused",
                                        tasks: [extractTask])
        }
        try store.startTask(extractTask, total: nil, unit: "members", now: epochNow())
        let folder = context.spool.work(job: context.job.id) + "/members"
        FileSystem.removeTree(folder)
        try FileSystem.makeDirectory(folder)
        let members: [ExtractedMember]
        do {
            var extraction = ExtractionLimits()
            extraction.maxMembers = limits.maxMembers
            extraction.maxTotalBytes = limits.maxBytes
            extraction.maxCompressionRatio = limits.maxRatio
            members = try SafeExtractor.extract(archive: path, into: folder, limits: extraction)
        } catch {
            FileSystem.removeTree(folder)
            if error.code == .writeFailed { throw JobError.transient(error.message) }
            return try steps.rejectFile(code: ErrorCode(rawValue: error.code.rawValue) ?? .archiveCorrupt,
                                        message: error.message + " (\(error.bytesWritten) bytes had been written; all removed)",
                                        field: error.member, tasks: [extractTask])
        }
        if members.isEmpty {
            FileSystem.removeTree(folder)
            return try steps.rejectFile(code: .archiveEmpty, message: "the archive holds no files", tasks: [extractTask])
        }
        let router = FeedRouter(config: context.config)
        try store.transaction {
            for member in members {
                let baseName = (member.path as NSString).lastPathComponent
                let feed = router.feed(partner: file.partner, fileName: baseName, path: member.localPath)
                let child = try store.recordArchiveMember(parentJob: context.job, parentFile: file, memberPath: member.path, size: member.bytes,
                                                          feed: feed, maxAttempts: context.config.maxAttempts(for: feed.kind), now: epochNow())
                let target = context.spool.absolute(child.workPath)
                try FileSystem.makeDirectory((target as NSString).deletingLastPathComponent)
                try FileSystem.rename(member.localPath, to: target)
            }
            try store.finishTask(extractTask, state: "succeeded", done: Int64(members.count), now: epochNow())
        }
        FileSystem.removeTree(folder)
        throw JobError.deferred(seconds: 0, reason: "extracted \(members.count) member(s); waiting for their jobs")
    }

    private func aggregate(_ context: JobContext, children: [(job: JobRecord, file: FileRecord?)]) throws -> JobOutcome {
        let store = context.store
        let accepted = children.filter { $0.job.state.isAccepted || $0.job.state == .duplicate }
        let clean = children.filter { $0.job.state == .succeeded || $0.job.state == .duplicate }
        var outcome = JobOutcome(state: .rejected, reason: "")
        if accepted.isEmpty {
            outcome.state = .rejected
        } else if clean.count == children.count {
            outcome.state = .succeeded
        } else {
            outcome.state = .partiallySucceeded
        }
        outcome.rowsRead = children.reduce(0) { $0 + $1.job.rowsRead }
        outcome.rowsLoaded = children.reduce(0) { $0 + $1.job.rowsLoaded }
        outcome.rowsRejected = children.reduce(0) { $0 + $1.job.rowsRejected }
        outcome.rowsSkipped = children.reduce(0) { $0 + $1.job.rowsSkipped }
        outcome.reason = "\(children.count) member(s): \(accepted.count) accepted, \(children.count - accepted.count) refused; \(outcome.rowsLoaded) rows loaded"

        // The members' errors, listed once more in the archive's own manifest, named by member.
        var collector = ErrorCollector(limit: context.config.maxListedErrors)
        var counts: [ErrorCode: Int] = [:]
        for child in children {
            let member = child.file?.memberPath ?? child.file?.name ?? "job \(child.job.id)"
            for (code, count) in try store.errorCounts(job: child.job.id) {
                if let code = ErrorCode(rawValue: code) { counts[code, default: 0] += count }
            }
            for error in try store.rowErrors(job: child.job.id, limit: context.config.maxListedErrors) {
                var named = error
                named.field = error.field.isEmpty ? member : "\(member): \(error.field)"
                collector.add(named)
            }
        }
        outcome.errorCount = counts.values.reduce(0, +)
        outcome.errorCode = counts.max { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }?.key
        outcome.errorMessage = outcome.errorCount > 0 || outcome.state != .succeeded ? outcome.reason : nil
        try store.transaction {
            try store.recordErrors(job: context.job.id, listed: collector.listed, counts: counts)
            try store.finish(job: context.job, outcome: outcome, fileState: outcome.state.isAccepted ? "done" : "rejected", now: epochNow())
        }
        return outcome
    }
}
