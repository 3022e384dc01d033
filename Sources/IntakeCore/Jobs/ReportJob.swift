import Foundation
import SQLiteStore

/// A staff report (scheduled): per partner, the files and rows of the last 24 hours and the
/// failures, as a CSV for spreadsheets and an HTML page for the browser, in `outbox/staff/`.
struct ReportJob: JobKind {
    var name: JobKindName { .report }
    var stages: [Stage] { [.process, .deliver] }

    func run(_ context: JobContext) throws -> JobOutcome {
        let store = context.store
        let tasks = try store.transaction {
            try store.createTasks(job: context.job, stages: [.process], worker: context.workerID, now: epochNow())
        }
        let task = tasks[.process] ?? 0
        let now = epochNow()
        try store.startTask(task, total: nil, unit: "partners", now: now)
        let since = now - 86_400
        let rows = try store.connection.fetchAll("""
            SELECT partner,
                   count(*) AS files,
                   sum(state IN ('succeeded', 'partially_succeeded')) AS accepted,
                   sum(state = 'rejected') AS rejected,
                   sum(state IN ('failed', 'timed_out', 'cancelled')) AS failed,
                   sum(state = 'duplicate') AS duplicates,
                   sum(rows_loaded) AS rows_loaded,
                   sum(rows_rejected) AS rows_rejected
            FROM jobs WHERE file_id IS NOT NULL AND parent_job_id IS NULL AND created_at >= ?
            GROUP BY partner ORDER BY partner
            """, since)
        let columns = ["partner", "files", "accepted", "rejected", "failed", "duplicates", "rows_loaded", "rows_rejected"]
        var csv = CSVCell.row(columns)
        var html = """
            <!doctype html><html><head><meta charset="utf-8"><title>Intake operations report</title>
            <style>body{font-family:sans-serif}td,th{padding:4px 8px;border-bottom:1px solid #ccc;text-align:right}td:first-child,th:first-child{text-align:left}</style>
            </head><body><h1>Intake operations report</h1><p>Files received from \(isoTimestamp(since)) to \(isoTimestamp(now)).</p>
            <table><tr>\(columns.map { "<th>\(htmlEscape($0))</th>" }.joined())</tr>
            """
        for row in rows {
            let values = columns.map { row.string($0) ?? "0" }
            csv += CSVCell.row(values)
            html += "<tr>" + values.map { "<td>\(htmlEscape($0))</td>" }.joined() + "</tr>"
        }
        html += "</table></body></html>\n"
        let stamp = isoTimestamp(context.job.createdAt).replacingOccurrences(of: ":", with: "").prefix(17)
        let base = "\(context.spool.staffOutbox)/operations-\(stamp)-job\(context.job.id)"
        try AtomicFileWriter.write(csv, to: base + ".csv")
        try AtomicFileWriter.write(html, to: base + ".html")
        var outcome = JobOutcome(state: .succeeded, reason: "operations report for \(rows.count) partner(s)")
        outcome.rowsRead = rows.count
        try store.transaction {
            try store.connection.run("UPDATE jobs SET outputs = ? WHERE id = ?",
                                     JSONText.encode([context.spool.relative(base + ".csv"), context.spool.relative(base + ".html")]), context.job.id)
            try store.finishTask(task, state: "succeeded", done: Int64(rows.count), now: epochNow())
            try store.finish(job: context.job, outcome: outcome, fileState: "done", now: epochNow())
        }
        return outcome
    }
}

/// Escapes text for HTML element content and attribute values.
func htmlEscape(_ text: String) -> String {
    // Most values hold none of the five characters: return them untouched.
    guard text.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }) else { return text }
    return EscapedBytes.escaped(text) { EscapedBytes.appendXMLText($0, to: &$1) }
}
