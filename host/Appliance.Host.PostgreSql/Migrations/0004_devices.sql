-- The device registry. Certificates: one row per certificate issued, revoked in place (the CRL
-- and the broker's checks read it). Documents: what the host keeps whole per device (its signing
-- key ring, its provisioned settings, its last status), as JSON, one row per device and kind.
CREATE TABLE device_certificates (
    thumbprint     text        PRIMARY KEY,
    device_id      text        NOT NULL,
    serial_number  text        NOT NULL,
    issued_order   bigserial   NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);

CREATE INDEX device_certificates_per_device ON device_certificates (device_id, issued_order);

CREATE TABLE device_documents (
    device_id text  NOT NULL,
    kind      text  NOT NULL,
    body      jsonb NOT NULL,
    PRIMARY KEY (device_id, kind)
);
