-- grr: sum over S of min(MRR at closing, MRR at opening) / sum over S of MRR at opening x 100.
WITH ${paying}
), state AS (  -- MRR of each customer at the opening (end of start - 1) and closing (end of end) snapshots
    SELECT customer_id,
           coalesce(sum(units) FILTER (WHERE started_at <= DATE '${start}' - 1 AND (ended_at IS NULL OR ended_at > DATE '${start}' - 1)), 0) AS o,
           coalesce(sum(units) FILTER (WHERE started_at <= DATE '${end}' AND (ended_at IS NULL OR ended_at > DATE '${end}')), 0) AS k
    FROM paying GROUP BY 1
), s AS (  -- S: paying at the opening snapshot, customer by customer from opening to closing
    SELECT count(*) AS n, coalesce(sum(o), 0) AS opening, coalesce(sum(k), 0) AS closing,
           coalesce(sum(least(o, k)), 0) AS retained,
           coalesce(sum(k - o) FILTER (WHERE k > o), 0) AS expansion,
           coalesce(sum(o - k) FILTER (WHERE k > 0 AND k < o), 0) AS contraction,
           coalesce(sum(o) FILTER (WHERE k = 0), 0) AS churn,
           count(*) FILTER (WHERE k > o) AS expansion_customers, count(*) FILTER (WHERE k > 0 AND k < o) AS contraction_customers,
           count(*) FILTER (WHERE k = 0) AS churn_customers, count(*) FILTER (WHERE k = o) AS flat_customers
    FROM state WHERE o > 0
)
SELECT retained * 100 / nullif(opening, 0) AS value, n AS starting_customers, opening / 10000 AS opening_mrr, closing / 10000 AS closing_mrr,
       retained / 10000 AS retained_mrr, expansion / 10000 AS expansion_mrr, contraction / 10000 AS contraction_mrr,
       churn / 10000 AS churn_mrr, expansion_customers, contraction_customers, churn_customers, flat_customers
FROM s
