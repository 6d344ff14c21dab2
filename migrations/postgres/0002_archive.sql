-- Retention: `kubechat audit archive` may delete the oldest entries, and only those that a
-- chained `archived` entry says were archived (seq <= its through_seq). Everything else
-- stays undeletable. Defence in depth: `kubechat audit verify` checks the chain either way.
CREATE FUNCTION kubechat_ledger_delete_archived_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seq > (SELECT coalesce(max((payload::jsonb ->> 'through_seq')::bigint), 0)
                  FROM entries WHERE kind = 'archived') THEN
        RAISE EXCEPTION 'kubechat ledger is append-only';
    END IF;
    RETURN OLD;
END;
$$;

DROP TRIGGER entries_no_delete ON entries;

CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION kubechat_ledger_delete_archived_only();
