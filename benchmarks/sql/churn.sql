-- churn: S = customers paying at the opening snapshot; churned = members of S not paying at the
-- closing snapshot; churned / |S| x 100.
WITH rates(currency, rate) AS (VALUES ${rates}),
subs AS (
    SELECT s.customer_id, s.started_at, s.ended_at, s.is_trial,
           round(s.mrr * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/subscriptions.csv', quote = '"', escape = '"', types = {'mrr': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'is_trial': 'VARCHAR'}) s
    LEFT JOIN rates r ON r.currency = upper(trim(s.currency))
), paying AS (
    SELECT * FROM subs
    WHERE units > 0 AND lower(trim(coalesce(is_trial, ''))) NOT IN ('true', 'yes', 'y', '1', 't')
      AND (ended_at IS NULL OR ended_at > started_at)
), state AS (  -- MRR of each customer at the opening (end of start - 1) and closing (end of end) snapshots
    SELECT customer_id,
           coalesce(sum(units) FILTER (WHERE started_at <= DATE '${start}' - 1 AND (ended_at IS NULL OR ended_at > DATE '${start}' - 1)), 0) AS o,
           coalesce(sum(units) FILTER (WHERE started_at <= DATE '${end}' AND (ended_at IS NULL OR ended_at > DATE '${end}')), 0) AS k
    FROM paying GROUP BY 1
)
, c AS (
    SELECT count(*) FILTER (WHERE o > 0) AS starting, count(*) FILTER (WHERE k > 0) AS closing,
           count(*) FILTER (WHERE o > 0 AND k = 0) AS churned
    FROM state
)
SELECT churned * 100 / nullif(starting, 0) AS value, starting AS starting_customers, closing AS closing_customers,
       churned AS churned_customers, starting - churned AS retained_customers
FROM c
