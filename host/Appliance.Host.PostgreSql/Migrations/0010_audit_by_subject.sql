-- Whether a series' filing was audited is asked when it is confirmed again (an instance that died
-- between the archive's commit and the audit append leaves it unaudited): found by subject.
CREATE INDEX audit_entries_by_subject ON audit_entries (subject, kind);
