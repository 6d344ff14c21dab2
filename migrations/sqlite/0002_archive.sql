-- Retention: `kubechat audit archive` may delete the oldest entries, and only those that a
-- chained `archived` entry says were archived (seq <= its through_seq). Everything else
-- stays undeletable. Defence in depth: `kubechat audit verify` checks the chain either way.
DROP TRIGGER entries_no_delete;

CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
WHEN OLD.seq > (SELECT coalesce(max(CAST(json_extract(payload, '$.through_seq') AS INTEGER)), 0)
                FROM entries WHERE kind = 'archived')
BEGIN
    SELECT RAISE(ABORT, 'kubechat ledger is append-only');
END;
