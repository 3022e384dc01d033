import SQLiteStore

/// The database schema, as numbered migrations. Add a migration; never edit an applied one.
///
/// Times are REAL seconds since 1970 (UTC), so leases and delays are plain arithmetic.
enum Schema {
    static let migrator = Migrator([
        .init(version: 1, name: "files, jobs, tasks, workers, audit, claims", sql: """
            CREATE TABLE files (
                id INTEGER PRIMARY KEY,
                partner TEXT NOT NULL,
                name TEXT NOT NULL,
                inbox_path TEXT NOT NULL,
                work_path TEXT,
                final_path TEXT,
                size INTEGER NOT NULL,
                sha256 TEXT,
                -- claiming -> claimed -> processing -> done | rejected | duplicate | lost
                state TEXT NOT NULL,
                job_id INTEGER,
                duplicate_of INTEGER REFERENCES files(id),
                discovered_at REAL NOT NULL,
                claimed_at REAL,
                finished_at REAL
            ) STRICT;
            CREATE INDEX files_by_hash ON files(partner, sha256);
            CREATE INDEX files_by_state ON files(state);

            CREATE TABLE jobs (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                partner TEXT NOT NULL,
                file_id INTEGER REFERENCES files(id),
                feed TEXT,
                priority INTEGER NOT NULL DEFAULT 100,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL DEFAULT 3,
                run_after REAL NOT NULL,
                lease_owner TEXT,
                lease_expires_at REAL,
                parent_job_id INTEGER REFERENCES jobs(id),
                created_at REAL NOT NULL,
                started_at REAL,
                finished_at REAL,
                delivered_at REAL,
                rows_read INTEGER NOT NULL DEFAULT 0,
                rows_loaded INTEGER NOT NULL DEFAULT 0,
                rows_rejected INTEGER NOT NULL DEFAULT 0,
                rows_skipped INTEGER NOT NULL DEFAULT 0,
                error_count INTEGER NOT NULL DEFAULT 0,
                error_code TEXT,
                error_message TEXT,
                outputs TEXT NOT NULL DEFAULT '[]'
            ) STRICT;
            CREATE INDEX jobs_ready ON jobs(state, priority DESC, run_after, id);
            CREATE INDEX jobs_by_partner ON jobs(partner, state);
            CREATE INDEX jobs_by_file ON jobs(file_id);

            CREATE TABLE job_history (
                id INTEGER PRIMARY KEY,
                job_id INTEGER NOT NULL REFERENCES jobs(id),
                at REAL NOT NULL,
                from_state TEXT,
                to_state TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                reason TEXT NOT NULL
            ) STRICT;
            CREATE INDEX job_history_by_job ON job_history(job_id, id);

            CREATE TABLE tasks (
                id INTEGER PRIMARY KEY,
                job_id INTEGER NOT NULL REFERENCES jobs(id),
                attempt INTEGER NOT NULL,
                stage TEXT NOT NULL,
                state TEXT NOT NULL,
                worker_id TEXT,
                progress_done INTEGER NOT NULL DEFAULT 0,
                progress_total INTEGER,
                progress_unit TEXT NOT NULL DEFAULT 'rows',
                started_at REAL,
                finished_at REAL,
                error TEXT
            ) STRICT;
            CREATE INDEX tasks_by_job ON tasks(job_id, attempt, id);

            CREATE TABLE workers (
                id TEXT PRIMARY KEY,
                daemon TEXT NOT NULL,
                slot INTEGER NOT NULL,
                status TEXT NOT NULL,
                capacity INTEGER NOT NULL DEFAULT 1,
                current_job_id INTEGER,
                started_at REAL NOT NULL,
                last_heartbeat REAL NOT NULL,
                jobs_done INTEGER NOT NULL DEFAULT 0
            ) STRICT;

            CREATE TABLE row_errors (
                id INTEGER PRIMARY KEY,
                job_id INTEGER NOT NULL REFERENCES jobs(id),
                line INTEGER NOT NULL,
                record INTEGER NOT NULL,
                byte_offset INTEGER NOT NULL,
                column_number INTEGER NOT NULL,
                field TEXT NOT NULL,
                code TEXT NOT NULL,
                message TEXT NOT NULL,
                value TEXT NOT NULL
            ) STRICT;
            CREATE INDEX row_errors_by_job ON row_errors(job_id, id);

            CREATE TABLE error_counts (
                job_id INTEGER NOT NULL REFERENCES jobs(id),
                code TEXT NOT NULL,
                count INTEGER NOT NULL,
                PRIMARY KEY (job_id, code)
            ) STRICT, WITHOUT ROWID;

            -- Append-only and hash-chained: each row's hash covers the previous row's hash.
            CREATE TABLE audit_events (
                id INTEGER PRIMARY KEY,
                at REAL NOT NULL,
                event TEXT NOT NULL,
                job_id INTEGER,
                file_id INTEGER,
                detail TEXT NOT NULL,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            ) STRICT;
            CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
            CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

            CREATE TABLE claims (
                id INTEGER PRIMARY KEY,
                file_id INTEGER NOT NULL REFERENCES files(id),
                job_id INTEGER NOT NULL REFERENCES jobs(id),
                partner TEXT NOT NULL,
                claim_id TEXT NOT NULL,
                patient_id TEXT NOT NULL,
                patient_last TEXT,
                patient_first TEXT,
                dob TEXT NOT NULL,
                payer_id TEXT NOT NULL,
                payer_name TEXT,
                billing_npi TEXT NOT NULL,
                UNIQUE (file_id, claim_id)
            ) STRICT;
            CREATE INDEX claims_by_partner ON claims(partner, claim_id);

            CREATE TABLE service_lines (
                id INTEGER PRIMARY KEY,
                claim_ref INTEGER NOT NULL REFERENCES claims(id),
                line_no INTEGER NOT NULL,
                hcpcs TEXT NOT NULL,
                modifiers TEXT NOT NULL,
                icd10 TEXT,
                dos_from TEXT NOT NULL,
                dos_to TEXT NOT NULL,
                units INTEGER NOT NULL,
                charge_cents INTEGER NOT NULL,
                notes TEXT,
                source_line INTEGER NOT NULL,
                UNIQUE (claim_ref, line_no)
            ) STRICT;
            """),
        .init(version: 2, name: "job dependencies, archive members", sql: """
            CREATE TABLE job_dependencies (
                job_id INTEGER NOT NULL REFERENCES jobs(id),
                depends_on INTEGER NOT NULL REFERENCES jobs(id),
                PRIMARY KEY (job_id, depends_on)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX job_dependencies_reverse ON job_dependencies(depends_on);
            ALTER TABLE files ADD COLUMN parent_file_id INTEGER REFERENCES files(id);
            ALTER TABLE files ADD COLUMN member_path TEXT;
            CREATE INDEX jobs_by_parent ON jobs(parent_job_id);
            """),
        .init(version: 3, name: "fair scheduling, cancellation, time limits, resource usage, schedules, alerts", sql: """
            CREATE INDEX jobs_fair ON jobs(state, priority, partner, run_after, id);
            ALTER TABLE jobs ADD COLUMN cancel_requested TEXT;
            ALTER TABLE jobs ADD COLUMN timeout_seconds REAL;
            ALTER TABLE jobs ADD COLUMN cpu_ms INTEGER;
            ALTER TABLE jobs ADD COLUMN peak_rss_kb INTEGER;
            ALTER TABLE jobs ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
            ALTER TABLE job_dependencies ADD COLUMN on_failure TEXT NOT NULL DEFAULT 'cancel';
            UPDATE job_dependencies SET on_failure = 'wait';
            -- Round-robin between partners: who was served longest ago goes next.
            CREATE TABLE partner_turns (
                partner TEXT PRIMARY KEY,
                last_served INTEGER NOT NULL
            ) STRICT;
            -- One row per schedule slot that was started: a slot never runs twice.
            CREATE TABLE schedule_runs (
                schedule TEXT NOT NULL,
                slot REAL NOT NULL,
                job_id INTEGER REFERENCES jobs(id),
                started_at REAL NOT NULL,
                PRIMARY KEY (schedule, slot)
            ) STRICT;
            CREATE TABLE alerts (
                id INTEGER PRIMARY KEY,
                at REAL NOT NULL,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                message TEXT NOT NULL,
                resolved_at REAL
            ) STRICT;
            CREATE UNIQUE INDEX alerts_open ON alerts(kind, subject) WHERE resolved_at IS NULL;
            CREATE TABLE daemon_stats (
                name TEXT PRIMARY KEY,
                value REAL NOT NULL,
                updated_at REAL NOT NULL
            ) STRICT;
            """),
    ])
}
