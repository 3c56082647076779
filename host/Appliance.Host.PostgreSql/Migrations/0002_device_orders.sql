-- The host's memory of its orders: one counter per device that only rises, and the remote wipe
-- records (the current one per device, and those set aside when the device went back in service).
CREATE TABLE device_order_counters (
    device_id text   PRIMARY KEY,
    counter   bigint NOT NULL
);

CREATE TABLE wipes (
    id           bigserial   PRIMARY KEY,
    device_id    text        NOT NULL,
    current      boolean     NOT NULL,
    requested_at timestamptz NOT NULL,
    record       jsonb       NOT NULL
);

CREATE UNIQUE INDEX wipes_current_per_device ON wipes (device_id) WHERE current;
