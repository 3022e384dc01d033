import Foundation

/// Delivers a finished job: the error manifest (when there are errors), the result manifest,
/// and the original moved to `done/` or `rejected/`. Every step is idempotent, so a crash
/// midway is repaired by running it again; the job is marked delivered last.
public struct Deliverer {
    let store: IntakeStore
    var spool: Spool { store.spool }

    public init(store: IntakeStore) { self.store = store }

    /// Returns the outbox paths written (relative to the spool).
    /// `closing` runs inside the transaction that marks the job delivered, so the worker's own
    /// bookkeeping (resources, its next claim) costs no commit of its own.
    @discardableResult
    public func deliver(jobID: Int64, closing: () throws -> Void = {}) throws -> [String] {
        guard let job = try store.job(id: jobID), job.state.isFinal else { return [] }
        guard let fileID = job.fileID, let file = try store.file(id: fileID) else {
            // A job without an input file (a report) wrote its own outputs.
            let outputs = (try? JSONDecoder().decode([String].self, from: Data(job.outputs.utf8))) ?? []
            try store.transaction {
                try store.markDelivered(job: jobID, outputs: outputs, now: epochNow())
                try closing()
            }
            return outputs
        }
        let outbox = spool.outbox(partner: file.partner)
        var outputs: [String] = []
        // The error manifest, the exports and the result manifest are written under temp names
        // and published together (one sync of the disk), the result manifest renamed last.
        var unpublished: [StreamingFileWriter] = []
        let listed = try store.rowErrors(job: job.id)
        let errorsPath = "\(outbox)/\(file.name).errors.csv"
        if job.errorCount > 0 {
            let errors = try StreamingFileWriter(path: errorsPath)
            try errors.write(ErrorManifest.render(listed))
            unpublished.append(errors)
            outputs.append(spool.relative(errorsPath))
        }

        outputs += try DomainOutputs.write(job: job, file: file, store: store, unpublished: &unpublished)

        // Where the original goes: chosen once, recorded before the move, so a redo agrees.
        let finalPath = try finalPath(for: file, job: job)
        let resultPath = "\(outbox)/\(file.name).result.json"
        outputs.append(spool.relative(resultPath))
        let manifest = try makeManifest(job: job, file: file, errors: listed, outputs: outputs, storedAs: finalPath)
        let result = try StreamingFileWriter(path: resultPath)
        try result.write(manifest.encoded())
        unpublished.append(result)

        // The original is moved before the outputs are published: the one sync of the disk
        // that makes the outputs durable makes the move durable too (no folder sync of its
        // own), and result.json, renamed last, never names an original that is not in place.
        // A redo finds the file gone from work/ and skips the move (final_path is recorded).
        let movesOriginal = file.parentFileID == nil && finalPath != nil && file.workPath != nil
        if movesOriginal, let finalPath, let workPath = file.workPath {
            let source = spool.absolute(workPath)
            if FileSystem.exists(source) {
                try FileSystem.makeDirectory((spool.absolute(finalPath) as NSString).deletingLastPathComponent)
                try FileSystem.rename(source, to: spool.absolute(finalPath), syncingFolder: false)
            }
        }
        try StreamingFileWriter.publish(unpublished, syncingFilesystem: movesOriginal)

        if movesOriginal, let finalPath, job.state == .rejected || job.state == .duplicate, job.errorCount > 0 {
            try FileSystem.copyAtomically(errorsPath, to: spool.absolute(finalPath) + ".errors.csv")
        }
        if file.parentFileID != nil || movesOriginal {
            // An archive member's extracted copy goes (the archive is the original kept);
            // an original has left work/ for done/ or rejected/.
            FileSystem.removeTree(spool.work(job: job.id))
        }
        try store.transaction {
            if file.parentFileID != nil {
                try store.setFinalPath(fileID: file.id, finalPath: nil)
            } else if movesOriginal {
                try store.setFinalPath(fileID: file.id, finalPath: finalPath)
            }
            try store.markDelivered(job: job.id, outputs: outputs, now: epochNow())
            try closing()
        }
        return outputs
    }

    /// `done/<partner>/YYYY/MM/NAME` for accepted and duplicate files, `rejected/<partner>/NAME`
    /// for refused ones; a name already taken gets the file id before its extension. Failed
    /// jobs keep their file in `work/` for a retry (nil).
    private func finalPath(for file: FileRecord, job: JobRecord) throws -> String? {
        if let existing = file.finalPath { return existing }
        if file.parentFileID != nil { return nil }
        let folder: String
        switch job.state {
        case .succeeded, .partiallySucceeded, .duplicate:
            folder = spool.done(partner: file.partner, finishedAt: Date(timeIntervalSince1970: job.finishedAt ?? epochNow()))
        case .rejected:
            folder = spool.rejected(partner: file.partner)
        default:
            return nil
        }
        var candidate = "\(folder)/\(file.name)"
        if FileSystem.exists(candidate) {
            let name = file.name as NSString
            let ext = name.pathExtension
            candidate = "\(folder)/\(name.deletingPathExtension).\(file.id)\(ext.isEmpty ? "" : ".\(ext)")"
        }
        let relative = spool.relative(candidate)
        try store.connection.run("UPDATE files SET final_path = ? WHERE id = ?", relative, file.id)
        return relative
    }

    func makeManifest(job: JobRecord, file: FileRecord, errors: [RowError], outputs: [String], storedAs: String?) throws -> ResultManifest {
        var duplicate: ResultManifest.DuplicateOf?
        if let earlierID = file.duplicateOf, let earlier = try store.file(id: earlierID) {
            duplicate = .init(file_id: earlier.id, name: earlier.name, job_id: earlier.jobID, finished_at: earlier.finishedAt.map(isoTimestamp))
        }
        let members = try store.childJobs(of: job.id).map { child in
            ResultManifest.Member(path: child.file?.memberPath ?? "", job_id: child.job.id, state: child.job.state.rawValue,
                                  rows_loaded: child.job.rowsLoaded, rows_rejected: child.job.rowsRejected, errors: child.job.errorCount,
                                  error_code: child.job.errorCode,
                                  manifest: child.file.map { spool.relative("\(spool.outbox(partner: $0.partner))/\($0.name).result.json") })
        }
        let processing = job.startedAt.flatMap { start in job.finishedAt.map { Int((($0 - start) * 1000).rounded()) } }
        return ResultManifest(
            file: .init(id: file.id, name: file.name, partner: file.partner, feed: job.feed, sha256: file.sha256, bytes: file.size, stored_as: storedAs),
            job_ids: [job.id],
            state: job.state.rawValue,
            message: job.errorMessage ?? (job.state.isAccepted ? "\(job.rowsLoaded) rows loaded" : job.state.rawValue),
            counts: .init(rows_read: job.rowsRead, rows_loaded: job.rowsLoaded, rows_rejected: job.rowsRejected, rows_skipped: job.rowsSkipped, errors: job.errorCount),
            timings: .init(discovered_at: isoTimestamp(file.discoveredAt), claimed_at: file.claimedAt.map(isoTimestamp),
                           started_at: job.startedAt.map(isoTimestamp), finished_at: job.finishedAt.map(isoTimestamp), processing_ms: processing),
            outputs: outputs,
            errors_by_code: try store.errorCounts(job: job.id),
            errors: Array(errors.prefix(ResultManifest.errorsInJSON)),
            errors_truncated: job.errorCount > min(errors.count, ResultManifest.errorsInJSON),
            duplicate_of: duplicate,
            members: members.isEmpty ? nil : members)
    }
}
