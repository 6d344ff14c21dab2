-- The audit ledger: append-only and hash-chained (see src/ledger/chain.rs).
-- seq is assigned by the single writer inside a BEGIN IMMEDIATE transaction, dense from 1.
-- STRICT makes SQLite enforce the column types, so every stored value is the text we hashed.
CREATE TABLE entries (
    seq       INTEGER PRIMARY KEY CHECK (seq > 0),
    time      TEXT NOT NULL,          -- RFC 3339, UTC
    actor     TEXT NOT NULL,
    cluster   TEXT,
    namespace TEXT,
    plan_id   TEXT,
    kind      TEXT NOT NULL,          -- snake_case EntryKind
    payload   TEXT NOT NULL,          -- canonical JSON (object keys sorted)
    prev_hash TEXT NOT NULL,          -- lowercase hex SHA-256; 64 zeros for seq 1
    hash      TEXT NOT NULL           -- lowercase hex SHA-256
) STRICT;

CREATE INDEX entries_plan_id ON entries (plan_id);
CREATE INDEX entries_time ON entries (time);

-- Defence in depth: the application never updates or deletes, and neither may anyone else
-- through SQL without first dropping these (which `kubechat audit verify` then still catches).
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN
    SELECT RAISE(ABORT, 'kubechat ledger is append-only');
END;

CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN
    SELECT RAISE(ABORT, 'kubechat ledger is append-only');
END;
