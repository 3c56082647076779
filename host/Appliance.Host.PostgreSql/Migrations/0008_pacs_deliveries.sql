-- Each filed series on its way to the trust's PACS: queued, sent or refused, with its attempts.
-- Instances take due deliveries with FOR UPDATE SKIP LOCKED and a lease (next_attempt_at moved
-- on), so no two send one series at once, and one that dies leaves it due again at the lease's end.
CREATE TABLE pacs_deliveries (
    series_id       text        PRIMARY KEY,
    state           text        NOT NULL CHECK (state IN ('Queued', 'Sent', 'Refused')),
    attempts        integer     NOT NULL DEFAULT 0,
    queued_at       timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    sent_at         timestamptz,
    instances       integer     NOT NULL DEFAULT 0
);

CREATE INDEX pacs_deliveries_due ON pacs_deliveries (next_attempt_at) WHERE state = 'Queued';
