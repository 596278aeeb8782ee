-- mrr: closing MRR (non-trial rows with MRR > 0 active at the end of P's last day:
-- started_at <= d < ended_at), and the movements summed over the steps of P (opening -> each
-- month end inside P -> closing), customer by customer: 0 -> >0 new (reactivation when the
-- customer paid on some day on or before the step's start), >0 -> 0 churn, up expansion, down
-- contraction. Money in integer 1/10,000 units after conversion to the base currency.
WITH ${paying}
), snaps AS (
    SELECT d, row_number() OVER (ORDER BY d) - 1 AS k FROM (
        SELECT DATE '${start}' - 1 AS d
        UNION ALL
        SELECT last_day(m::DATE) FROM generate_series(date_trunc('month', DATE '${start}'), DATE '${end}', INTERVAL 1 MONTH) g(m)
        WHERE last_day(m::DATE) >= DATE '${start}' AND last_day(m::DATE) < DATE '${end}'
        UNION ALL
        SELECT DATE '${end}')
), grid AS (
    SELECT p.customer_id, s.k, sum(p.units) AS mrr
    FROM paying p JOIN snaps s ON p.started_at <= s.d AND (p.ended_at IS NULL OR p.ended_at > s.d)
    GROUP BY ALL
), customers AS (
    SELECT customer_id, min(started_at) AS first_paid FROM paying GROUP BY 1
), steps AS (
    SELECT c.customer_id, coalesce(a.mrr, 0) AS a, coalesce(b.mrr, 0) AS b, c.first_paid <= s.d AS paid_before
    FROM customers c CROSS JOIN snaps s
    LEFT JOIN grid a ON a.customer_id = c.customer_id AND a.k = s.k
    LEFT JOIN grid b ON b.customer_id = c.customer_id AND b.k = s.k + 1
    WHERE s.k < (SELECT max(k) FROM snaps)
), moves AS (
    SELECT customer_id,
           CASE WHEN a = 0 AND b > 0 AND NOT paid_before THEN 'new' WHEN a = 0 AND b > 0 THEN 'reactivation'
                WHEN a > 0 AND b = 0 THEN 'churn' WHEN b > a THEN 'expansion' WHEN b < a THEN 'contraction' END AS kind,
           CASE WHEN a = 0 THEN b WHEN b = 0 THEN a ELSE abs(b - a) END AS amount
    FROM steps
), ends AS (
    SELECT sum(mrr) FILTER (WHERE k = 0) AS opening, sum(mrr) FILTER (WHERE k = (SELECT max(k) FROM snaps)) AS closing,
           count(*) FILTER (WHERE k = 0 AND mrr > 0) AS opening_customers,
           count(*) FILTER (WHERE k = (SELECT max(k) FROM snaps) AND mrr > 0) AS closing_customers
    FROM grid
), m AS (
    SELECT
        coalesce(sum(amount) FILTER (WHERE kind = 'new'), 0) AS new_mrr, count(*) FILTER (WHERE kind = 'new') AS new_count,
        count(DISTINCT customer_id) FILTER (WHERE kind = 'new') AS new_customers,
        coalesce(sum(amount) FILTER (WHERE kind = 'reactivation'), 0) AS reactivation_mrr,
        count(*) FILTER (WHERE kind = 'reactivation') AS reactivation_count,
        count(DISTINCT customer_id) FILTER (WHERE kind = 'reactivation') AS reactivation_customers,
        coalesce(sum(amount) FILTER (WHERE kind = 'expansion'), 0) AS expansion_mrr,
        count(*) FILTER (WHERE kind = 'expansion') AS expansion_count,
        count(DISTINCT customer_id) FILTER (WHERE kind = 'expansion') AS expansion_customers,
        coalesce(sum(amount) FILTER (WHERE kind = 'contraction'), 0) AS contraction_mrr,
        count(*) FILTER (WHERE kind = 'contraction') AS contraction_count,
        count(DISTINCT customer_id) FILTER (WHERE kind = 'contraction') AS contraction_customers,
        coalesce(sum(amount) FILTER (WHERE kind = 'churn'), 0) AS churn_mrr, count(*) FILTER (WHERE kind = 'churn') AS churn_count,
        count(DISTINCT customer_id) FILTER (WHERE kind = 'churn') AS churn_customers
    FROM moves
)
SELECT coalesce(closing, 0) / 10000 AS value, coalesce(opening, 0) / 10000 AS opening_mrr,
       coalesce(closing, 0) / 10000 AS closing_mrr, 12 * coalesce(closing, 0) / 10000 AS arr,
       (coalesce(closing, 0) - coalesce(opening, 0)) / 10000 AS net_new_mrr, opening_customers, closing_customers,
       new_mrr / 10000 AS new_mrr, new_count, new_customers,
       reactivation_mrr / 10000 AS reactivation_mrr, reactivation_count, reactivation_customers,
       expansion_mrr / 10000 AS expansion_mrr, expansion_count, expansion_customers,
       contraction_mrr / 10000 AS contraction_mrr, contraction_count, contraction_customers,
       churn_mrr / 10000 AS churn_mrr, churn_count, churn_customers
FROM ends, m
