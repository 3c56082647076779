-- After a wipe the host looks for the appliance's jobs whose accepted series it never filed.
CREATE INDEX capture_jobs_by_device ON capture_jobs (device_id, issued_at);
CREATE INDEX capture_job_events_by_state ON capture_job_events (state, job_id);
