-- tickets: tickets created in P. Details: resolved in P, open at the closing snapshot, complaints
-- created in P, median hours to first response / resolution over the tickets created in P that
-- got one by the end of P, tickets per 100 customers paying on some day of P.
WITH rates(currency, rate) AS (VALUES ${rates}),
t AS (
    SELECT created_at, first_response_at, resolved_at, category,
           created_at >= DATE '${start}' AND created_at < DATE '${end}' + INTERVAL 1 DAY AS created,
           DATE '${end}' + INTERVAL 1 DAY AS after_end
    FROM read_csv('${data}/tickets.csv', quote = '"', escape = '"', types = {'created_at': 'TIMESTAMP', 'first_response_at': 'TIMESTAMP',
                                                  'resolved_at': 'TIMESTAMP', 'category': 'VARCHAR'})
), subs AS (
    SELECT s.customer_id, s.started_at, s.ended_at, s.is_trial,
           round(s.mrr * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/subscriptions.csv', quote = '"', escape = '"', types = {'mrr': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'is_trial': 'VARCHAR'}) s
    LEFT JOIN rates r ON r.currency = upper(trim(s.currency))
), active AS (
    SELECT count(DISTINCT customer_id) AS n FROM subs
    WHERE units > 0 AND lower(trim(coalesce(is_trial, ''))) NOT IN ('true', 'yes', 'y', '1', 't')
      AND (ended_at IS NULL OR ended_at > started_at)
      AND started_at <= DATE '${end}' AND (ended_at IS NULL OR ended_at > DATE '${start}')
), c AS (
    SELECT count(*) FILTER (WHERE created) AS created,
           count(*) FILTER (WHERE resolved_at >= DATE '${start}' AND resolved_at < after_end) AS resolved_in_period,
           count(*) FILTER (WHERE created_at < after_end AND NOT coalesce(resolved_at < after_end, false)) AS open_at_close,
           count(*) FILTER (WHERE created AND lower(trim(category)) IN ('complaint')) AS complaints,
           median(epoch(first_response_at - created_at) / 3600)
               FILTER (WHERE created AND first_response_at < after_end AND first_response_at >= created_at)
               AS median_first_response_hours,
           median(epoch(resolved_at - created_at) / 3600)
               FILTER (WHERE created AND resolved_at < after_end AND resolved_at >= created_at)
               AS median_resolution_hours
    FROM t
)
SELECT created AS value, created, resolved_in_period, open_at_close, complaints, median_first_response_hours,
       median_resolution_hours, active.n AS active_customers, created * 100 / nullif(active.n, 0) AS tickets_per_100_active_customers
FROM c, active
