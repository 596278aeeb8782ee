-- sessions: total session seconds / sessions whose first event is in P. A session is the events
-- sharing (user_id, session_id), over the whole file; events without a session_id are split per
-- user by gaps of more than 30 minutes. Length: sum of duration_seconds when the session has
-- any, else last event - first event. Active users: distinct users with an active event in P.
WITH ev AS (
    SELECT user_id, session_id, occurred_at, duration_seconds, event
    FROM read_csv('${data}/events.csv', quote = '"', escape = '"', types = {'session_id': 'VARCHAR', 'duration_seconds': 'DOUBLE', 'event': 'VARCHAR'})
), by_id AS (
    SELECT min(occurred_at) AS first, max(occurred_at) AS last, sum(duration_seconds) AS dsum,
           count(duration_seconds) AS dn
    FROM ev WHERE session_id IS NOT NULL
    GROUP BY user_id, session_id
), gaps AS (
    SELECT user_id, occurred_at, duration_seconds,
           CASE WHEN occurred_at - lag(occurred_at) OVER w <= INTERVAL 30 MINUTE THEN 0 ELSE 1 END AS starts
    FROM ev WHERE session_id IS NULL
    WINDOW w AS (PARTITION BY user_id ORDER BY occurred_at)
), by_gap AS (
    SELECT min(occurred_at) AS first, max(occurred_at) AS last, sum(duration_seconds) AS dsum,
           count(duration_seconds) AS dn
    FROM (SELECT *, sum(starts) OVER (PARTITION BY user_id ORDER BY occurred_at ROWS UNBOUNDED PRECEDING) AS n FROM gaps)
    GROUP BY user_id, n
), sessions AS (
    SELECT CASE WHEN dn > 0 THEN dsum ELSE epoch(last - first) END AS seconds
    FROM (SELECT * FROM by_id UNION ALL SELECT * FROM by_gap)
    WHERE first >= DATE '${start}' AND first < DATE '${end}' + INTERVAL 1 DAY
), users AS (
    SELECT count(DISTINCT user_id) AS active_users
    FROM ev
    WHERE occurred_at >= DATE '${start}' AND occurred_at < DATE '${end}' + INTERVAL 1 DAY
      AND (len(${active_events}) = 0 OR list_contains(${active_events}, event))
)
SELECT sum(seconds) / nullif(count(*), 0) AS value, count(*) AS sessions, coalesce(sum(seconds), 0) AS total_session_seconds,
       median(seconds) AS median_session_seconds, (SELECT active_users FROM users) AS active_users,
       count(*) / nullif((SELECT active_users FROM users), 0) AS sessions_per_active_user
FROM sessions
