-- churn: S = customers paying at the opening snapshot; churned = members of S not paying at the
-- closing snapshot; churned / |S| x 100.
WITH ${paying}
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
