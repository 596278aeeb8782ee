-- usage: active customers (paying on some day of P) with an active event in P / active customers x 100.
-- Frequency = distinct (user, day) / distinct users, breadth = distinct (customer, user) / using
-- customers, over the active events in P of the using customers; depth = distinct (customer, event)
-- over all their events in P / using customers.
WITH rates(currency, rate) AS (VALUES ${rates}),
ev AS (
    SELECT customer_id, user_id, event, CAST(occurred_at AS DATE) AS day,
           (len(${active_events}) = 0 OR coalesce(list_contains(${active_events}, event), false)) AS active
    FROM read_csv('${data}/events.csv', quote = '"', escape = '"', types = {'event': 'VARCHAR'})
    WHERE occurred_at >= DATE '${start}' AND occurred_at < DATE '${end}' + INTERVAL 1 DAY
), subs AS (
    SELECT s.customer_id, s.started_at, s.ended_at, s.is_trial,
           round(s.mrr * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/subscriptions.csv', quote = '"', escape = '"', types = {'mrr': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'is_trial': 'VARCHAR'}) s
    LEFT JOIN rates r ON r.currency = upper(trim(s.currency))
), population AS (
    SELECT DISTINCT customer_id FROM subs
    WHERE units > 0 AND lower(trim(coalesce(is_trial, ''))) NOT IN ('true', 'yes', 'y', '1', 't')
      AND (ended_at IS NULL OR ended_at > started_at)
      AND started_at <= DATE '${end}' AND (ended_at IS NULL OR ended_at > DATE '${start}')
), users_of AS (
    SELECT * FROM ev WHERE customer_id IN (SELECT customer_id FROM population)
      AND customer_id IN (SELECT customer_id FROM ev WHERE active)
), n AS (
    SELECT (SELECT count(*) FROM population) AS active_customers,
           count(DISTINCT customer_id) AS using_customers,
           count(DISTINCT user_id) FILTER (WHERE active) AS active_users,
           count(DISTINCT (user_id, day)) FILTER (WHERE active) AS user_days,
           count(DISTINCT (customer_id, user_id)) FILTER (WHERE active) AS customer_users,
           count(DISTINCT (customer_id, event)) AS customer_events
    FROM users_of
)
SELECT using_customers * 100 / nullif(active_customers, 0) AS value, active_customers, using_customers, active_users,
       user_days / nullif(active_users, 0) AS frequency,
       customer_users / nullif(using_customers, 0) AS breadth,
       customer_events / nullif(using_customers, 0) AS depth
FROM n
