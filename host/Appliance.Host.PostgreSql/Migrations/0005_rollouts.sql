-- Staged rollouts: each rollout's plan and control, each appliance's progress in it, and the
-- group each appliance belongs to (rollouts are staged by group).
CREATE TABLE rollouts (
    rollout_id text        PRIMARY KEY,
    created_at timestamptz NOT NULL,
    body       jsonb       NOT NULL
);

CREATE TABLE rollout_progress (
    rollout_id text  NOT NULL,
    device_id  text  NOT NULL,
    body       jsonb NOT NULL,
    PRIMARY KEY (rollout_id, device_id)
);

CREATE TABLE device_groups (
    device_id  text PRIMARY KEY,
    group_name text NOT NULL
);
