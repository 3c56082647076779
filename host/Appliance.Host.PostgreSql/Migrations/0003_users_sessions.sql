-- The people who sign in (Argon2id hashes, never passwords) and their server-side sessions
-- (the id is the SHA-256 of the cookie's secret: nothing here can be turned back into a cookie).
CREATE TABLE host_users (
    name            text        PRIMARY KEY,
    role            text        NOT NULL,
    password_hash   text        NOT NULL,
    failed_attempts integer     NOT NULL,
    locked_until    timestamptz,
    disabled        boolean     NOT NULL,
    session_stamp   text        NOT NULL
);

CREATE TABLE host_sessions (
    id             text        PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    user_name      text        NOT NULL,
    role           text        NOT NULL,
    user_stamp     text        NOT NULL,
    started_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    client_address text        NOT NULL,
    ended_at       timestamptz,
    ended_because  text
);
