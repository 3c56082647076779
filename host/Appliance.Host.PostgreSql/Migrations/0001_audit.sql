-- The audit trail: one row per entry, hash-chained as in the file trail, and its head kept
-- apart (one row), so a tail cut from the entries no longer matches it. Appends take
-- pg_advisory_xact_lock(AuditLock) first: concurrent host instances take turns and the chain
-- never forks.
CREATE TABLE audit_entries (
    sequence      bigint  PRIMARY KEY CHECK (sequence > 0),
    at_unix_ms    bigint  NOT NULL,
    kind          text    NOT NULL,
    actor         text    NOT NULL,
    subject       text    NOT NULL,
    details       text    NOT NULL,
    previous_hash text    NOT NULL,
    hash          text    NOT NULL,
    format        integer NOT NULL
);

CREATE TABLE audit_head (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    sequence bigint  NOT NULL,
    hash     text    NOT NULL
);
