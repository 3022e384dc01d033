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
        .init(version: 4, name: "HME/DME records: patients, payers, rentals, fees, remittances, inventory, billing", sql: """
            -- Every insert or update of a domain record, with the job and file that made it.
            CREATE TABLE record_changes (
                id INTEGER PRIMARY KEY, at REAL NOT NULL, table_name TEXT NOT NULL, record_key TEXT NOT NULL,
                action TEXT NOT NULL, job_id INTEGER NOT NULL, file_id INTEGER
            ) STRICT;
            CREATE INDEX record_changes_by_key ON record_changes(table_name, record_key);
            CREATE TABLE patients (
                partner TEXT NOT NULL, patient_id TEXT NOT NULL, last_name TEXT, first_name TEXT, dob TEXT, payer_id TEXT,
                address_line TEXT, city TEXT, state TEXT, zip TEXT, source_file_id INTEGER, source_job_id INTEGER,
                PRIMARY KEY (partner, patient_id)) STRICT;
            CREATE TABLE payers (
                partner TEXT NOT NULL, payer_id TEXT NOT NULL, name TEXT, kind TEXT, source_file_id INTEGER, source_job_id INTEGER,
                PRIMARY KEY (partner, payer_id)) STRICT;
            CREATE TABLE rentals (
                partner TEXT NOT NULL, rental_id TEXT NOT NULL, patient_id TEXT, payer_id TEXT, hcpcs TEXT, serial_number TEXT,
                start_date TEXT, purchase_price_cents INTEGER, fee_schedule INTEGER, status TEXT, status_date TEXT,
                pause_start TEXT, pause_end TEXT, billing_npi TEXT, source_file_id INTEGER, source_job_id INTEGER,
                PRIMARY KEY (partner, rental_id)) STRICT;
            CREATE INDEX rentals_by_patient ON rentals(partner, patient_id, hcpcs);
            CREATE TABLE fee_schedules (
                partner TEXT NOT NULL, payer_id TEXT NOT NULL, hcpcs TEXT NOT NULL, modifier TEXT NOT NULL, allowed_cents INTEGER,
                source_file_id INTEGER, source_job_id INTEGER, PRIMARY KEY (partner, payer_id, hcpcs, modifier)) STRICT;
            CREATE TABLE remittance_payments (
                id INTEGER PRIMARY KEY, partner TEXT NOT NULL, payer_id TEXT NOT NULL, payer_control_number TEXT NOT NULL,
                claim_id TEXT NOT NULL, patient_id TEXT, status TEXT NOT NULL, charge_cents INTEGER NOT NULL, paid_cents INTEGER NOT NULL,
                adjustments TEXT NOT NULL, patient_share_cents INTEGER NOT NULL, category TEXT NOT NULL, claim_ref INTEGER,
                reverses_id INTEGER, job_id INTEGER NOT NULL, file_id INTEGER, created_at REAL NOT NULL,
                UNIQUE (partner, payer_control_number, claim_id, status)) STRICT;
            CREATE INDEX remittance_by_claim ON remittance_payments(partner, claim_id);
            ALTER TABLE claims ADD COLUMN paid_cents INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE claims ADD COLUMN adjustment_cents INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE claims ADD COLUMN patient_cents INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE claims ADD COLUMN payment_status TEXT;
            ALTER TABLE service_lines ADD COLUMN diagnoses TEXT;
            ALTER TABLE service_lines ADD COLUMN diagnosis_pointers TEXT;
            ALTER TABLE service_lines ADD COLUMN rental_month INTEGER;
            CREATE TABLE items (
                partner TEXT NOT NULL, item_id TEXT NOT NULL, description TEXT, hcpcs TEXT, serialized INTEGER, reorder_point INTEGER,
                max_level INTEGER, unit_cost_cents INTEGER, source_file_id INTEGER, source_job_id INTEGER,
                PRIMARY KEY (partner, item_id)) STRICT;
            CREATE TABLE stock_movements (
                partner TEXT NOT NULL, movement_id TEXT NOT NULL, warehouse_id TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL,
                quantity INTEGER NOT NULL, serial_number TEXT, movement_date TEXT NOT NULL, job_id INTEGER NOT NULL, file_id INTEGER,
                PRIMARY KEY (partner, movement_id)) STRICT;
            CREATE TABLE stock_on_hand (
                partner TEXT NOT NULL, warehouse_id TEXT NOT NULL, item_id TEXT NOT NULL, quantity INTEGER NOT NULL,
                PRIMARY KEY (partner, warehouse_id, item_id)) STRICT;
            CREATE TABLE serials_on_hand (
                partner TEXT NOT NULL, serial_number TEXT NOT NULL, warehouse_id TEXT NOT NULL, item_id TEXT NOT NULL,
                PRIMARY KEY (partner, serial_number)) STRICT;
            CREATE TABLE inventory_counts (
                id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, partner TEXT NOT NULL, warehouse_id TEXT NOT NULL, item_id TEXT NOT NULL,
                serial_number TEXT, counted_quantity INTEGER NOT NULL, count_date TEXT NOT NULL) STRICT;
            CREATE TABLE rental_bills (
                partner TEXT NOT NULL, rental_id TEXT NOT NULL, month TEXT NOT NULL, rental_month INTEGER NOT NULL,
                patient_id TEXT, payer_id TEXT, hcpcs TEXT, modifiers TEXT, amount_cents INTEGER, status TEXT NOT NULL,
                reason TEXT NOT NULL, job_id INTEGER NOT NULL, created_at REAL NOT NULL,
                PRIMARY KEY (partner, rental_id, month)) STRICT;
            """),
        .init(version: 5, name: "indexes for large queues", sql: """
            CREATE INDEX jobs_undelivered ON jobs(finished_at) WHERE delivered_at IS NULL;
            CREATE INDEX jobs_by_state_created ON jobs(state, created_at);
            CREATE INDEX jobs_finished ON jobs(finished_at);
            """),
        .init(version: 6, name: "claims by job and payer (streamed exports)", sql: """
            CREATE INDEX claims_by_job_payer ON claims(job_id, payer_id, id);
            """),
        // `intake status` must answer in milliseconds with millions of jobs stored: counts by
        // partner and state, and finishes per second, are kept by triggers in the same
        // transaction as the change, instead of being counted from the jobs table each time.
        .init(version: 7, name: "job counters for status", sql: """
            CREATE TABLE job_counts (
                partner TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,
                PRIMARY KEY (partner, state)) STRICT, WITHOUT ROWID;
            INSERT INTO job_counts(partner, state, n) SELECT partner, state, count(*) FROM jobs GROUP BY partner, state;
            CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN
                INSERT INTO job_counts(partner, state, n) VALUES (NEW.partner, NEW.state, 1)
                    ON CONFLICT(partner, state) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER job_counts_update AFTER UPDATE OF state, partner ON jobs
                WHEN OLD.state IS NOT NEW.state OR OLD.partner IS NOT NEW.partner BEGIN
                UPDATE job_counts SET n = n - 1 WHERE partner = OLD.partner AND state = OLD.state;
                INSERT INTO job_counts(partner, state, n) VALUES (NEW.partner, NEW.state, 1)
                    ON CONFLICT(partner, state) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN
                UPDATE job_counts SET n = n - 1 WHERE partner = OLD.partner AND state = OLD.state;
            END;

            CREATE TABLE job_finishes (
                second INTEGER PRIMARY KEY, finished INTEGER NOT NULL, failed INTEGER NOT NULL, rows_loaded INTEGER NOT NULL) STRICT;
            INSERT INTO job_finishes(second, finished, failed, rows_loaded)
                SELECT CAST(finished_at AS INTEGER), count(*), sum(state IN ('rejected', 'failed', 'timed_out')), sum(rows_loaded)
                FROM jobs WHERE finished_at >= unixepoch() - 7200 GROUP BY 1;
            CREATE TRIGGER job_finishes_insert AFTER INSERT ON jobs WHEN NEW.finished_at IS NOT NULL BEGIN
                INSERT INTO job_finishes(second, finished, failed, rows_loaded)
                    VALUES (CAST(NEW.finished_at AS INTEGER), 1, NEW.state IN ('rejected', 'failed', 'timed_out'), NEW.rows_loaded)
                    ON CONFLICT(second) DO UPDATE SET finished = finished + 1, failed = failed + excluded.failed,
                                                      rows_loaded = rows_loaded + excluded.rows_loaded;
            END;
            CREATE TRIGGER job_finishes_update AFTER UPDATE OF finished_at ON jobs
                WHEN NEW.finished_at IS NOT NULL AND OLD.finished_at IS NOT NEW.finished_at BEGIN
                INSERT INTO job_finishes(second, finished, failed, rows_loaded)
                    VALUES (CAST(NEW.finished_at AS INTEGER), 1, NEW.state IN ('rejected', 'failed', 'timed_out'), NEW.rows_loaded)
                    ON CONFLICT(second) DO UPDATE SET finished = finished + 1, failed = failed + excluded.failed,
                                                      rows_loaded = rows_loaded + excluded.rows_loaded;
            END;
            CREATE INDEX jobs_failed_recent ON jobs(finished_at) WHERE state IN ('rejected', 'failed', 'timed_out', 'cancelled');
            """),
    ])
}
