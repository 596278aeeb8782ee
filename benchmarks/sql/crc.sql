-- crc: retention costs of every calendar month overlapping P (costs.csv, all categories) / customers
-- paying on some day of P; undefined when a month has no cost.
WITH ${paying}
), months AS (
    SELECT strftime(m, '%Y-%m') AS month FROM generate_series(date_trunc('month', DATE '${start}'), DATE '${end}', INTERVAL 1 MONTH) g(m)
), costs AS (
    SELECT trim(month) AS month, round(amount * 10000)::BIGINT AS units
    FROM read_csv('${data}/costs.csv', quote = '"', escape = '"', types = {'month': 'VARCHAR', 'amount': 'DECIMAL(18,4)'})
), c AS (
    SELECT (SELECT count(*) FROM months) AS months, count(DISTINCT month) AS present, sum(units) AS units
    FROM costs WHERE month IN (SELECT month FROM months)
), active AS (
    SELECT count(DISTINCT customer_id) AS n FROM paying
    WHERE started_at <= DATE '${end}' AND (ended_at IS NULL OR ended_at > DATE '${start}')
)
SELECT CASE WHEN present = months THEN units / 10000 / nullif(n, 0) END AS value,
       CASE WHEN present = months THEN units / 10000 END AS retention_costs, n AS active_customers, present AS months_counted
FROM c, active
