-- The archive: filed series, their frames, capture jobs with their timelines, and every
-- calibration profile an appliance sent. Records are sealed under the archive key (in the
-- secrets folder, never here) with their id bound in; frames are sealed under per-series keys,
-- kept wrapped beside the record. A patient is found by a keyed tag, never by the identifier:
-- whoever administers the database reads no patient, consent, body site or pixel.
CREATE TABLE series (
    series_id    text        PRIMARY KEY,
    job_id       text        NOT NULL,
    device_id    text        NOT NULL,
    patient_tag  text        NOT NULL,
    lesion_tag   text,
    filed_at     timestamptz NOT NULL,
    captured_at  timestamptz NOT NULL,
    wrapped_key  bytea       NOT NULL,
    sealed_record bytea      NOT NULL
);

CREATE INDEX series_by_patient ON series (patient_tag, captured_at DESC);
CREATE INDEX series_by_job ON series (job_id);
CREATE INDEX series_by_filing ON series (filed_at DESC);

-- Frames are written before their record in one transaction: the key is checked at commit,
-- so a series is filed whole or not at all.
CREATE TABLE series_frames (
    series_id    text    NOT NULL REFERENCES series (series_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    frame_index  integer NOT NULL,
    sealed_frame bytea   NOT NULL,
    PRIMARY KEY (series_id, frame_index)
);

CREATE TABLE capture_jobs (
    job_id        text        PRIMARY KEY,
    episode_code  text        NOT NULL UNIQUE,
    device_id     text        NOT NULL,
    issued_at     timestamptz NOT NULL,
    sealed_record bytea       NOT NULL
);

CREATE INDEX capture_jobs_by_issue ON capture_jobs (issued_at DESC);

CREATE TABLE capture_job_events (
    event_id    bigserial   PRIMARY KEY,
    job_id      text        NOT NULL REFERENCES capture_jobs (job_id),
    state       text        NOT NULL,
    reported_at timestamptz,
    body        jsonb       NOT NULL
);

-- A status the appliance sent twice (same state, same time) is kept once, whichever instance got it.
CREATE UNIQUE INDEX capture_job_events_once ON capture_job_events (job_id, state, reported_at) WHERE reported_at IS NOT NULL;
CREATE INDEX capture_job_events_by_job ON capture_job_events (job_id, event_id);

CREATE TABLE calibration_profiles (
    profile_id text        PRIMARY KEY,
    device_id  text        NOT NULL,
    created_at timestamptz NOT NULL,
    profile    text        NOT NULL
);

CREATE INDEX calibration_profiles_by_device ON calibration_profiles (device_id, created_at DESC);
