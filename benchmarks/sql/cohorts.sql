-- cohorts (logo, 12 months): cohort = month of the customer's first paid day; cell (cohort, k) = share
-- of the cohort paying at the end of the k-th month after it, for month ends on or before P's end.
-- Value: month-1 retention over the cohorts that reached it, weighted by cohort size.
WITH ${paying}
), bounds AS (
    SELECT date_trunc('month', DATE '${end}')::DATE AS last_cohort,
           (date_trunc('month', DATE '${end}') - INTERVAL 11 MONTH)::DATE AS first_cohort,
           (date_trunc('month', DATE '${end}' + 1) - INTERVAL 1 MONTH)::DATE AS last_month
), members AS (  -- a row per customer whose first paid day is in a cohort month, on or before P's end
    SELECT customer_id, date_trunc('month', min(started_at))::DATE AS cohort
    FROM paying, bounds b GROUP BY customer_id, b.first_cohort, b.last_cohort
    HAVING min(started_at) <= DATE '${end}' AND cohort BETWEEN b.first_cohort AND b.last_cohort
), cells AS (  -- the month ends on or before P's end
    SELECT m.customer_id, m.cohort, r.k, last_day((m.cohort + to_months(r.k))::DATE) AS d
    FROM members m, bounds b, range(0, 13) r(k)
    WHERE (m.cohort + to_months(r.k))::DATE <= b.last_month
), paid AS (
    SELECT c.cohort, c.k, c.customer_id, count(p.customer_id) > 0 AS paying
    FROM cells c LEFT JOIN paying p
      ON p.customer_id = c.customer_id AND p.started_at <= c.d AND (p.ended_at IS NULL OR p.ended_at > c.d)
    GROUP BY ALL
), m AS (
    SELECT (SELECT count(DISTINCT cohort) FROM members) AS cohorts, (SELECT count(*) FROM members) AS customers,
           count(*) FILTER (WHERE k = 1) AS m1_cohort_customers, count(*) FILTER (WHERE k = 1 AND paying) AS m1_paying_customers,
           avg(paying::INT) FILTER (WHERE k = 1) * 100 AS m1, avg(paying::INT) FILTER (WHERE k = 3) * 100 AS m3,
           avg(paying::INT) FILTER (WHERE k = 6) * 100 AS m6, avg(paying::INT) FILTER (WHERE k = 12) * 100 AS m12
    FROM paid
)
SELECT m1_paying_customers * 100 / nullif(m1_cohort_customers, 0) AS value, cohorts, customers, m1 AS m1_retention,
       m3 AS m3_retention, m6 AS m6_retention, m12 AS m12_retention, m1_cohort_customers, m1_paying_customers
FROM m
