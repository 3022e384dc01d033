#!/usr/bin/env python3
"""Reference loader for the benchmarks: a plain Python claims importer (standard library only).

What a competent developer would write in an afternoon, with the same rules as Intake
(Docs/configuration.md section 3, DESIGN.md 8.1) and the same durability as Intake's daemon:

* CSV: the `csv` module (RFC 4180, quoted newlines), UTF-8 with or without BOM; header matched
  case-insensitively in any order. XML (`--xml`): `xml.etree.ElementTree.iterparse`, one
  `<claim>` element at a time, cleared after use (flat memory).
* Per-row validation: field count, required values, lengths, line_no 1..999, partner_id equals
  the partner, NPI (10 digits, first 1 or 2, Luhn with the 80840 prefix), HCPCS (letter + 4
  digits), modifiers (up to 4 two-character codes), ICD-10-CM format and effective date, real
  YYYY-MM-DD dates, dos_from <= dos_to, not in the future (UTC), dob before dos_from, units
  1..9999, money with at most 2 decimals and no sign.
* Loading: `skip_rows` policy. One transaction (BEGIN IMMEDIATE ... COMMIT), `executemany` in
  batches into `claims` + `service_lines` tables shaped like Intake's (STRICT, UNIQUE keys, an
  index, foreign keys on), errors into `row_errors` (first 10,000) and `error_counts`. The
  database runs with journal_mode=WAL and synchronous=FULL, like Intake.

Usage: ref_python_loader.py --db PATH --partner acme [--xml] FILE
Prints one JSON line: {"rows_read": N, "loaded": L, "rejected": R, "errors": E}.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sqlite3
import sys

COLUMNS = ("claim_id", "line_no", "partner_id", "patient_id", "patient_last", "patient_first", "dob",
           "payer_id", "payer_name", "billing_npi", "hcpcs", "modifiers", "icd10", "dos_from",
           "dos_to", "units", "charge_amount", "notes")
REQUIRED = {"claim_id", "partner_id", "patient_id", "dob", "payer_id", "billing_npi", "hcpcs",
            "dos_from", "dos_to", "units", "charge_amount"}
MAX_LISTED_ERRORS = 10_000
BATCH = 10_000
ICD10_EFFECTIVE = dt.date(2015, 10, 1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, job_id INTEGER NOT NULL, partner TEXT NOT NULL,
    claim_id TEXT NOT NULL, patient_id TEXT NOT NULL, patient_last TEXT, patient_first TEXT,
    dob TEXT NOT NULL, payer_id TEXT NOT NULL, payer_name TEXT, billing_npi TEXT NOT NULL,
    UNIQUE (file_id, claim_id)) STRICT;
CREATE INDEX IF NOT EXISTS claims_by_partner ON claims(partner, claim_id);
CREATE TABLE IF NOT EXISTS service_lines (
    id INTEGER PRIMARY KEY, claim_ref INTEGER NOT NULL REFERENCES claims(id), line_no INTEGER NOT NULL,
    hcpcs TEXT NOT NULL, modifiers TEXT NOT NULL, icd10 TEXT, dos_from TEXT NOT NULL, dos_to TEXT NOT NULL,
    units INTEGER NOT NULL, charge_cents INTEGER NOT NULL, notes TEXT, source_line INTEGER NOT NULL,
    UNIQUE (claim_ref, line_no)) STRICT;
CREATE TABLE IF NOT EXISTS row_errors (
    id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL, line INTEGER NOT NULL, record INTEGER NOT NULL,
    column_number INTEGER NOT NULL, field TEXT NOT NULL, code TEXT NOT NULL, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS error_counts (
    job_id INTEGER NOT NULL, code TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (job_id, code)
) STRICT, WITHOUT ROWID;
"""

DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
INT_RE = re.compile(r"[+-]?[0-9]+\Z")
HCPCS_RE = re.compile(r"[A-Z][0-9]{4}\Z")
MODIFIER_RE = re.compile(r"[A-Z0-9]{2}\Z")
ICD10_RE = re.compile(r"[A-Z][0-9][A-Z0-9]{1,5}\Z")
MONEY_RE = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?\Z")
NPI_RE = re.compile(r"[12][0-9]{9}\Z")


def npi_check(npi: str) -> str | None:
    """None when valid, else the error code."""
    if not NPI_RE.match(npi):
        return "npi.format"
    total = 24  # the 80840 prefix
    for i in range(9):
        d = ord(npi[8 - i]) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return None if (10 - total % 10) % 10 == ord(npi[9]) - 48 else "npi.check_digit"


def parse_date(value: str) -> dt.date | None:
    if not DATE_RE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)  # the regex already pinned the exact form
    except ValueError:
        return None


def icd10_ok(value: str) -> bool:
    if "." in value:
        if value.index(".") != 3 or len(value) <= 4 or value.count(".") > 1:
            return False
        value = value.replace(".", "")
    return bool(ICD10_RE.match(value))


def validate(vals, partner: str, today: dt.date, errors: list) -> tuple | None:
    """Checks one record (values in COLUMNS order, trimmed, None when empty or absent).

    Appends (column, code, value) to `errors` for every failing rule; returns the row or None.
    """
    (claim_id, line_no, partner_id, patient_id, last, first, dob_s, payer_id, payer_name, npi,
     hcpcs, modifiers, icd10, from_s, to_s, units_s, charge, notes) = vals
    fail = errors.append
    before = len(errors)
    if claim_id is None:
        fail(("claim_id", "value.required", ""))
    elif len(claim_id) > 12 and len(claim_id.encode("utf-8")) > 50:
        fail(("claim_id", "value.too_long", claim_id))
    if line_no is None:
        line_no = 1
    elif INT_RE.match(line_no) and 1 <= int(line_no) <= 999:
        line_no = int(line_no)
    else:
        fail(("line_no", "line_no.format", line_no))
    if partner_id is None:
        fail(("partner_id", "value.required", ""))
    elif partner_id != partner:
        fail(("partner_id", "claim.partner_mismatch", partner_id))
    if patient_id is None:
        fail(("patient_id", "value.required", ""))
    elif len(patient_id) > 12 and len(patient_id.encode("utf-8")) > 50:
        fail(("patient_id", "value.too_long", patient_id))
    dob = None
    if dob_s is None:
        fail(("dob", "value.required", ""))
    elif (dob := parse_date(dob_s)) is None:
        fail(("dob", "date.format", dob_s))
    if payer_id is None:
        fail(("payer_id", "value.required", ""))
    elif len(payer_id) > 12 and len(payer_id.encode("utf-8")) > 50:
        fail(("payer_id", "value.too_long", payer_id))
    if npi is None:
        fail(("billing_npi", "value.required", ""))
    elif (code := npi_check(npi)) is not None:
        fail(("billing_npi", code, npi))
    if hcpcs is None:
        fail(("hcpcs", "value.required", ""))
    else:
        hcpcs = hcpcs.upper()
        if not HCPCS_RE.match(hcpcs):
            fail(("hcpcs", "hcpcs.format", hcpcs))
    if modifiers is None:
        modifiers = ""
    else:
        v = modifiers.upper()
        parts = [p.strip(" ") for p in v.split(",")]
        if len(parts) > 4:
            fail(("modifiers", "modifier.too_many", v))
        elif not all(MODIFIER_RE.match(p) for p in parts):
            fail(("modifiers", "modifier.format", v))
        else:
            modifiers = ",".join(parts)
    dos_from = dos_to = None
    if from_s is None:
        fail(("dos_from", "value.required", ""))
    elif (dos_from := parse_date(from_s)) is None:
        fail(("dos_from", "date.format", from_s))
    if to_s is None:
        fail(("dos_to", "value.required", ""))
    elif (dos_to := parse_date(to_s)) is None:
        fail(("dos_to", "date.format", to_s))
    if dos_from and dos_to and dos_from > dos_to:
        fail(("dos_from", "date.range", from_s))
    if dos_to and dos_to > today:
        fail(("dos_to", "date.future", to_s))
    elif dos_from and dos_from > today:
        fail(("dos_from", "date.future", from_s))
    if dob and dos_from and dob >= dos_from:
        fail(("dob", "dob.not_before_service", dob_s))
    if icd10 is not None:
        v = icd10.upper()
        if not icd10_ok(v):
            fail(("icd10", "icd10.format", v))
        elif dos_from and dos_from < ICD10_EFFECTIVE:
            fail(("icd10", "icd10.before_effective", v))
        else:
            icd10 = v.replace(".", "")
    units = 0
    if units_s is None:
        fail(("units", "value.required", ""))
    elif INT_RE.match(units_s) and 1 <= int(units_s) <= 9999:
        units = int(units_s)
    else:
        fail(("units", "units.range", units_s))
    cents = 0
    if charge is None:
        fail(("charge_amount", "value.required", ""))
    elif len(charge) <= 13 and (m := MONEY_RE.match(charge)):
        frac = m.group(2)
        cents = int(m.group(1)) * 100 + (int(frac) * (10 if len(frac) == 1 else 1) if frac else 0)
    else:
        fail(("charge_amount", "money.format", charge))
    if last is not None and len(last) > 25 and len(last.encode("utf-8")) > 100:
        fail(("patient_last", "value.too_long", last))
    if first is not None and len(first) > 25 and len(first.encode("utf-8")) > 100:
        fail(("patient_first", "value.too_long", first))
    if len(errors) != before:
        return None
    return (claim_id, line_no, patient_id, last, first, dob_s, payer_id, payer_name, npi, hcpcs,
            modifiers, icd10, from_s, to_s, units, cents, notes)


def csv_records(path: str):
    """Yields (line, values) per record, values in COLUMNS order (None: absent or empty), or
    (line, None) for a record with the wrong field count. Raises ValueError for a bad header."""
    f = open(path, newline="", encoding="utf-8-sig")
    reader = csv.reader(f, strict=True)
    header = next(reader)
    names = [h.strip(" \t").lower() for h in header]
    index = {}
    for i, n in enumerate(names):
        if n in COLUMNS:
            if n in index:
                raise ValueError("csv.duplicate_column " + n)
            index[n] = i
    missing = REQUIRED - index.keys()
    if missing:
        raise ValueError("csv.missing_columns " + ",".join(sorted(missing)))
    width = len(header)
    present = [(k, index[c]) for k, c in enumerate(COLUMNS) if c in index]
    if len(present) == len(COLUMNS):
        order = [i for _, i in present]
        def values(fields):
            return [fields[i].strip(" \t") or None for i in order]
    else:
        def values(fields):
            out = [None] * len(COLUMNS)
            for k, i in present:
                out[k] = fields[i].strip(" \t") or None
            return out
    line = reader.line_num + 1
    for fields in reader:
        start, line = line, reader.line_num + 1
        if not fields:
            continue  # blank line
        if len(fields) != width:
            yield start, None
            continue
        yield start, values(fields)
    f.close()


def xml_records(path: str):
    """Yields (record number, values) per <claim> element (no line numbers in ElementTree)."""
    import xml.etree.ElementTree as ET
    context = ET.iterparse(path, events=("start", "end"))
    _, root = next(context)
    record = 0
    for event, elem in context:
        if event != "end" or elem.tag != "claim":
            continue
        record += 1
        found = {}
        for child in elem:
            found[child.tag.lower()] = (child.text or "").strip(" \t") or None
        elem.clear()
        root.clear()
        yield record, [found.get(c) for c in COLUMNS]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--partner", required=True)
    ap.add_argument("--xml", action="store_true")
    ap.add_argument("file")
    args = ap.parse_args()

    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(SCHEMA)
    today = dt.datetime.now(dt.timezone.utc).date()
    file_id, job_id = 1, 1

    claim_sql = ("INSERT INTO claims(id, file_id, job_id, partner, claim_id, patient_id, patient_last,"
                 " patient_first, dob, payer_id, payer_name, billing_npi) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
    line_sql = ("INSERT OR IGNORE INTO service_lines(claim_ref, line_no, hcpcs, modifiers, icd10, dos_from,"
                " dos_to, units, charge_cents, notes, source_line) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
    refs: dict[str, int] = {}
    next_ref = 1
    claim_rows: list = []
    line_rows: list = []
    listed: list = []
    counts: dict[str, int] = {}
    rows_read = loaded = rejected = 0
    errors: list = []

    def flush():
        nonlocal loaded
        if claim_rows:
            db.executemany(claim_sql, claim_rows)
            claim_rows.clear()
        if line_rows:
            cur = db.executemany(line_sql, line_rows)
            loaded += cur.rowcount
            line_rows.clear()

    db.execute("BEGIN IMMEDIATE")
    records = xml_records(args.file) if args.xml else csv_records(args.file)
    for line, vals in records:
        rows_read += 1
        errors.clear()
        row = None
        if vals is None:
            errors.append(("", "csv.field_count", ""))
        else:
            row = validate(vals, args.partner, today, errors)
        if row is None:
            rejected += 1
            for column, code, value in errors:
                counts[code] = counts.get(code, 0) + 1
                if len(listed) < MAX_LISTED_ERRORS:
                    col = COLUMNS.index(column) + 1 if column in COLUMNS else 0
                    listed.append((job_id, line, rows_read, col, column, code, value))
            continue
        (claim_id, line_no, patient_id, last, first, dob, payer_id, payer_name, npi, hcpcs, modifiers,
         icd10, dos_from, dos_to, units, cents, notes) = row
        ref = refs.get(claim_id)
        if ref is None:
            ref = refs[claim_id] = next_ref
            next_ref += 1
            claim_rows.append((ref, file_id, job_id, args.partner, claim_id, patient_id, last, first, dob,
                               payer_id, payer_name, npi))
        line_rows.append((ref, line_no, hcpcs, modifiers, icd10, dos_from, dos_to, units, cents, notes,
                          line))
        if len(line_rows) >= BATCH:
            flush()
    flush()
    pending_lines = rows_read - rejected
    duplicates = pending_lines - loaded
    if duplicates:
        counts["claim.duplicate_line"] = counts.get("claim.duplicate_line", 0) + duplicates
        rejected += duplicates
    db.executemany("INSERT INTO row_errors(job_id, line, record, column_number, field, code, value)"
                   " VALUES (?,?,?,?,?,?,?)", listed)
    db.executemany("INSERT INTO error_counts(job_id, code, count) VALUES (?,?,?)",
                   [(job_id, c, n) for c, n in counts.items()])
    if loaded == 0:
        db.execute("ROLLBACK")
    else:
        db.execute("COMMIT")
    db.close()
    print(json.dumps({"rows_read": rows_read, "loaded": loaded, "rejected": rejected,
                      "errors": sum(counts.values())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
