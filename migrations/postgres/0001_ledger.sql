-- The audit ledger on PostgreSQL: the same logical schema as migrations/sqlite.
-- seq is assigned by the writer holding the ledger's advisory lock, dense from 1.
-- Every value is TEXT exactly as hashed (see src/ledger/chain.rs); COLLATE "C" makes `time`
-- compare byte-wise, as RFC 3339 in UTC must for --since/--until.
CREATE TABLE entries (
    seq       BIGINT PRIMARY KEY CHECK (seq > 0),
    time      TEXT COLLATE "C" NOT NULL,  -- RFC 3339, UTC
    actor     TEXT NOT NULL,
    cluster   TEXT,
    namespace TEXT,
    plan_id   TEXT,
    kind      TEXT NOT NULL,              -- snake_case EntryKind
    payload   TEXT NOT NULL,              -- canonical JSON (object keys sorted)
    prev_hash TEXT NOT NULL,              -- lowercase hex SHA-256; 64 zeros for seq 1
    hash      TEXT NOT NULL               -- lowercase hex SHA-256
);

CREATE INDEX entries_plan_id ON entries (plan_id);
CREATE INDEX entries_time ON entries (time);

-- Defence in depth: the application never updates or deletes, and neither may anyone else
-- through SQL without first dropping these (which `kubechat audit verify` then still catches).
CREATE FUNCTION kubechat_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'kubechat ledger is append-only';
END;
$$;

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
    FOR EACH ROW EXECUTE FUNCTION kubechat_ledger_append_only();

CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION kubechat_ledger_append_only();

CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION kubechat_ledger_append_only();
