-- The keys that protect session cookies, shared so that a cookie one host instance made is read
-- by any other. Each key is sealed by the host (XChaCha20-Poly1305 under keys/session-keys.key,
-- in the secrets folder) before it is stored: the database alone cannot mint a cookie.
CREATE TABLE session_key_ring (
    friendly_name text        PRIMARY KEY,
    stored_order  bigserial   NOT NULL,
    sealed_xml    text        NOT NULL
);
