-- callscope store: one DuckDB file per output folder (OUT/callscope.duckdb).
-- A call's rows are replaced as a whole, in one transaction, whenever it is (re)processed.
-- Times are seconds from the start of the recording; polarity is negative|neutral|positive;
-- role is agent|customer|unknown. Documented in docs/store.md.

CREATE TABLE IF NOT EXISTS runs (
    run_id            VARCHAR PRIMARY KEY,
    started_at        TIMESTAMP,
    finished_at       TIMESTAMP,
    callscope_version VARCHAR,
    config_hash       VARCHAR,
    inputs            INTEGER,
    processed         INTEGER,
    failed            INTEGER
);

CREATE TABLE IF NOT EXISTS conversations (
    call_id           VARCHAR PRIMARY KEY,
    run_id            VARCHAR,
    source_path       VARCHAR,
    sha256            VARCHAR,
    call_time         TIMESTAMP,    -- from metadata, else the file's modification time
    call_date         DATE,
    queue             VARCHAR,
    agent             VARCHAR,
    team              VARCHAR,
    customer_id       VARCHAR,
    channel           VARCHAR,      -- voice | chat | email | survey (a survey verbatim: not a contact)
    language          VARCHAR,
    duration          DOUBLE,
    layout            VARCHAR,
    redacted          BOOLEAN,
    reason            VARCHAR,      -- primary reason id or 'unknown'
    family            VARCHAR,      -- assistance | selfcare | avoidable | mandatory | NULL
    reason_confidence DOUBLE,
    reason_stated_by  VARCHAR,      -- customer | agent (only the agent's restatement gave it) | NULL
    sales_opportunity BOOLEAN,
    sentiment         VARCHAR,      -- overall customer polarity
    sentiment_score   DOUBLE,
    trajectory        VARCHAR,      -- improved | worsened | stable | unknown
    sentiment_start   DOUBLE,
    sentiment_end     DOUBLE,
    lowest_score      DOUBLE,
    lowest_at         DOUBLE,
    predicted_csat    DOUBLE,       -- 1..5
    topic_id          INTEGER,      -- -1: outlier; NULL: not modelled yet
    repeat_of         VARCHAR,      -- call_id of the same customer's previous contact within N days
    cross_channel_repeat   BOOLEAN,  -- a repeat whose previous contact came by another channel; NULL: no repeat
    resolved_first_contact BOOLEAN,  -- no repeat followed within N days; NULL: unknown (no customer, window open)
    warnings          VARCHAR,      -- the call's warnings (JSON warnings[]) joined by ' | '; NULL: none
    processed_at      TIMESTAMP
);

CREATE TABLE IF NOT EXISTS utterances (
    call_id            VARCHAR,
    idx                INTEGER,
    speaker            VARCHAR,
    role               VARCHAR,
    start_s            DOUBLE,
    end_s              DOUBLE,
    text               VARCHAR,
    sentiment          VARCHAR,
    sentiment_score    DOUBLE,
    emotion            VARCHAR,
    emotion_confidence DOUBLE,
    PRIMARY KEY (call_id, idx)
);

CREATE TABLE IF NOT EXISTS reasons (
    call_id    VARCHAR,
    rank       INTEGER,             -- 0: primary, 1..: secondary
    reason     VARCHAR,
    family     VARCHAR,
    confidence DOUBLE,
    PRIMARY KEY (call_id, rank)
);

CREATE TABLE IF NOT EXISTS aspects (
    call_id    VARCHAR,
    idx        INTEGER,
    aspect     VARCHAR,
    polarity   VARCHAR,
    score      DOUBLE,
    confidence DOUBLE,
    text       VARCHAR,
    utterance  INTEGER,
    start_s    DOUBLE,
    end_s      DOUBLE,
    PRIMARY KEY (call_id, idx)
);

CREATE TABLE IF NOT EXISTS signals (
    call_id    VARCHAR,
    idx        INTEGER,
    kind       VARCHAR,             -- churn_intent | purchase_intent | escalation_request | repeat_contact | legal_threat
    confidence DOUBLE,
    method     VARCHAR,             -- phrase | semantic
    evidence   VARCHAR,
    text       VARCHAR,
    utterance  INTEGER,
    start_s    DOUBLE,
    PRIMARY KEY (call_id, idx)
);

CREATE TABLE IF NOT EXISTS metrics (
    call_id                    VARCHAR PRIMARY KEY,
    handle_seconds             DOUBLE,
    agent_talk_seconds         DOUBLE,
    customer_talk_seconds      DOUBLE,
    agent_talk_ratio           DOUBLE,
    non_talk_seconds           DOUBLE,
    silences                   INTEGER,
    longest_silence            DOUBLE,
    longest_silence_at         DOUBLE,
    overtalk_count             INTEGER,
    overtalk_seconds           DOUBLE,
    overtalk_agent_share       DOUBLE,
    agent_interruptions        INTEGER,
    customer_interruptions     INTEGER,
    agent_longest_monologue    DOUBLE,
    customer_longest_monologue DOUBLE,
    agent_wpm                  DOUBLE,
    customer_wpm               DOUBLE,
    agent_questions            INTEGER,
    -- chats and e-mails (ChannelMetrics): their rows leave the talk columns above empty
    customer_messages          INTEGER,
    agent_messages             INTEGER,
    exchanges                  INTEGER,
    first_response_seconds     DOUBLE,
    customer_wait_seconds      DOUBLE
);

CREATE TABLE IF NOT EXISTS topics (
    topic_id       INTEGER PRIMARY KEY,  -- stable across runs; never renumbered
    label          VARCHAR,
    keywords       VARCHAR,              -- comma-separated, best first
    representative VARCHAR,              -- a representative customer quote (redacted)
    size           INTEGER,
    first_seen_run VARCHAR
);

CREATE TABLE IF NOT EXISTS events (      -- optional events CSV: campaigns, price changes, outages
    event_date DATE,
    label      VARCHAR,
    kind       VARCHAR
);

CREATE TABLE IF NOT EXISTS surveys (     -- optional survey CSV
    call_id VARCHAR PRIMARY KEY,
    csat    DOUBLE,                       -- 1..5
    nps     DOUBLE                        -- 0..10
);

-- Columns added after a table was first released: stores written by older versions gain them here.
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS reason_stated_by VARCHAR;
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS warnings VARCHAR;
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS cross_channel_repeat BOOLEAN;
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS resolved_first_contact BOOLEAN;
