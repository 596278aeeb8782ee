-- clv (purchases): average purchase value (positive invoices issued in P / their count) x purchase
-- frequency (positive invoices / distinct purchasers / months of P) x lifespan (1 / monthly churn, the
-- churn rate of P / its months). Months: calendar months when P is month-aligned, else days / 30.4375.
WITH ${paying}
), state AS (
    SELECT customer_id,
           coalesce(sum(units) FILTER (WHERE started_at <= DATE '${start}' - 1 AND (ended_at IS NULL OR ended_at > DATE '${start}' - 1)), 0) AS o,
           coalesce(sum(units) FILTER (WHERE started_at <= DATE '${end}' AND (ended_at IS NULL OR ended_at > DATE '${end}')), 0) AS k
    FROM paying GROUP BY 1
), churn AS (
    SELECT count(*) FILTER (WHERE o > 0 AND k = 0) * 100 / nullif(count(*) FILTER (WHERE o > 0), 0) AS rate FROM state
), inv AS (
    SELECT i.customer_id, round(i.amount * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/invoices.csv', quote = '"', escape = '"', types = {'amount': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'status': 'VARCHAR',
                                                   'issued_at': 'DATE'}) i
    LEFT JOIN rates r ON r.currency = upper(trim(i.currency))
    WHERE lower(trim(coalesce(i.status, ''))) NOT IN ('void', 'draft') AND i.issued_at BETWEEN DATE '${start}' AND DATE '${end}'
), p AS (
    SELECT coalesce(sum(units), 0) AS revenue, count(*) AS purchases, count(DISTINCT customer_id) AS purchasers,
           CASE WHEN day(DATE '${start}') = 1 AND DATE '${end}' = last_day(DATE '${end}')
                THEN datediff('month', DATE '${start}', DATE '${end}') + 1
                ELSE (DATE '${end}' - DATE '${start}' + 1) / 30.4375 END AS months
    FROM inv WHERE units > 0
)
SELECT revenue / 10000 / nullif(purchases, 0) * (purchases / nullif(purchasers, 0) / months)
       * (100 / nullif(churn.rate / months, 0)) AS value,
       revenue / 10000 AS purchase_revenue, purchases, purchasers, months, revenue / 10000 / nullif(purchases, 0) AS average_purchase_value,
       purchases / nullif(purchasers, 0) / months AS purchase_frequency_per_month, churn.rate AS churn_rate,
       churn.rate / months AS monthly_churn_rate, 100 / nullif(churn.rate / months, 0) AS lifespan_months
FROM p, churn
