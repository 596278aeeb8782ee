-- arpu (basis mrr, the default with subscriptions): closing MRR / customers paying at the closing snapshot.
WITH ${paying}
), state AS (  -- MRR of each customer at the opening (end of start - 1) and closing (end of end) snapshots
    SELECT customer_id,
           coalesce(sum(units) FILTER (WHERE started_at <= DATE '${start}' - 1 AND (ended_at IS NULL OR ended_at > DATE '${start}' - 1)), 0) AS o,
           coalesce(sum(units) FILTER (WHERE started_at <= DATE '${end}' AND (ended_at IS NULL OR ended_at > DATE '${end}')), 0) AS k
    FROM paying GROUP BY 1
)
SELECT round(sum(k) / nullif(count(*) FILTER (WHERE k > 0), 0) / 10000, 6) AS value, 'mrr' AS basis, sum(k) / 10000 AS closing_mrr,
       count(*) FILTER (WHERE k > 0) AS closing_customers
FROM state
