-- dau-mau: mean DAU over every day of P (a day without any counts 0) / MAU x 100.
-- Active events: events in P whose `event` is in the config's active_events (all when empty).
WITH active AS (
    SELECT user_id, CAST(occurred_at AS DATE) AS day
    FROM read_csv('${data}/events.csv', quote = '"', escape = '"', types = {'event': 'VARCHAR'})
    WHERE occurred_at >= DATE '${start}' AND occurred_at < DATE '${end}' + INTERVAL 1 DAY
      AND (len(${active_events}) = 0 OR list_contains(${active_events}, event))
), counts AS (
    SELECT count(DISTINCT (user_id, day)) AS user_days, count(DISTINCT user_id) AS mau, count(*) AS active_events,
           DATE '${end}' - DATE '${start}' + 1 AS days
    FROM active
)
SELECT user_days / days * 100 / nullif(mau, 0) AS value, user_days / days AS mean_dau, mau, days, active_events
FROM counts
