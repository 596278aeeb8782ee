-- Daily activity for cs-metrics: raw product events -> one row per customer, user and local day.
--
-- Run it where the events live (BigQuery, Snowflake, Spark, DuckDB ...), export the result as
-- daily_activity.csv (or .parquet) and give it to cs-metrics in place of events.csv: dau-mau,
-- usage, sessions and the health score's usage components are then computed from it, exactly as
-- from the raw events (see the README, "Scale beyond one machine": the median session length,
-- usage depth and adoption per event need single events and are n/a from these rows).
--
-- Input: a table or view `events` with
--   customer_id      the account
--   user_id          the person
--   occurred_at      TIMESTAMP WITH TIME ZONE (an instant)
--   event            the event name
--   session_id       the export's session id, or NULL (sessions are then split by inactivity)
--   duration_seconds seconds, or NULL (a session without any lasts last - first event)
-- Output columns: customer_id, user_id, day, events, active_events, sessions, session_seconds.
--
-- The dialect is DuckDB's; the few functions that differ elsewhere are marked (-- dialect:).

WITH settings AS (
    SELECT
        'Asia/Bangkok' AS tz,   -- the config's `timezone`: the days are local days there
        30 AS gap_minutes       -- metrics.sessions.gap_minutes: a longer gap starts a new session
),
-- The config's `active_events`: the events that make a user active. Leave the list empty
-- (WHERE FALSE) to make every event active, as an empty `active_events` does.
active_list AS (
    SELECT event FROM (VALUES ('')) AS t(event) WHERE FALSE
),
marked AS (
    SELECT
        e.customer_id,
        e.user_id,
        e.occurred_at,
        e.session_id,
        e.duration_seconds,
        -- dialect: BigQuery DATE(occurred_at, tz); Snowflake CONVERT_TIMEZONE(tz, occurred_at)::DATE
        CAST(timezone(s.tz, e.occurred_at) AS DATE) AS day,
        ((SELECT count(*) FROM active_list) = 0 OR e.event IN (SELECT event FROM active_list)) AS active
    FROM events AS e, settings AS s
),
-- Sessions. With a session_id: the events sharing (user_id, session_id). Without: per user, a new
-- session after a gap of more than gap_minutes (exactly the gap does not split).
gaps AS (
    SELECT
        m.*,
        CASE
            WHEN m.session_id IS NOT NULL THEN 0
            WHEN lag(m.occurred_at) OVER w IS NULL THEN 1
            -- dialect: BigQuery TIMESTAMP_DIFF(a, b, SECOND); Snowflake DATEDIFF('second', b, a)
            WHEN epoch(m.occurred_at) - epoch(lag(m.occurred_at) OVER w) > (SELECT gap_minutes FROM settings) * 60 THEN 1
            ELSE 0
        END AS starts
    FROM marked AS m
    WINDOW w AS (PARTITION BY m.user_id, m.session_id IS NULL ORDER BY m.occurred_at)
),
keyed AS (
    SELECT
        g.*,
        CASE
            WHEN g.session_id IS NOT NULL THEN 'id:' || g.session_id
            ELSE 'gap:' || CAST(sum(g.starts) OVER (PARTITION BY g.user_id, g.session_id IS NULL ORDER BY g.occurred_at
                                                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS VARCHAR)
        END AS session_key
    FROM gaps AS g
),
sessions AS (
    SELECT
        user_id,
        session_key,
        arg_min(customer_id, occurred_at) AS customer_id,   -- dialect: BigQuery ARRAY_AGG(... ORDER BY ... LIMIT 1)[OFFSET(0)]; Snowflake MIN_BY
        arg_min(day, occurred_at) AS day,                   -- a session counts on the day of its first event
        CASE
            WHEN count(duration_seconds) > 0 THEN sum(duration_seconds)
            ELSE epoch(max(occurred_at)) - epoch(min(occurred_at))
        END AS seconds
    FROM keyed
    GROUP BY user_id, session_key
),
daily_events AS (
    SELECT customer_id, user_id, day, count(*) AS events, count(*) FILTER (WHERE active) AS active_events
    FROM marked
    GROUP BY customer_id, user_id, day
),
daily_sessions AS (
    SELECT customer_id, user_id, day, count(*) AS sessions, sum(seconds) AS session_seconds
    FROM sessions
    GROUP BY customer_id, user_id, day
)
SELECT
    coalesce(e.customer_id, s.customer_id) AS customer_id,
    coalesce(e.user_id, s.user_id) AS user_id,
    coalesce(e.day, s.day) AS day,
    coalesce(e.events, 0) AS events,
    coalesce(e.active_events, 0) AS active_events,
    coalesce(s.sessions, 0) AS sessions,
    coalesce(s.session_seconds, 0) AS session_seconds
FROM daily_events AS e
FULL OUTER JOIN daily_sessions AS s
    ON e.customer_id = s.customer_id AND e.user_id = s.user_id AND e.day = s.day
ORDER BY day, customer_id, user_id
