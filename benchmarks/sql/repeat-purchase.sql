-- repeat-purchase: purchasers = customers with a positive invoice issued in P; returning = purchasers
-- with at least two positive invoices issued on or before end; returning / purchasers x 100.
WITH rates(currency, rate) AS (VALUES ${rates}),
inv AS (  -- invoices less the excluded statuses (void, draft), amounts in 1/10,000 of the base currency
    SELECT i.customer_id, i.issued_at, i.paid_at, round(i.amount * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/invoices.csv', quote = '"', escape = '"', types = {'amount': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'status': 'VARCHAR',
                                                   'issued_at': 'DATE', 'paid_at': 'DATE'}) i
    LEFT JOIN rates r ON r.currency = upper(trim(i.currency))
    WHERE lower(trim(coalesce(i.status, ''))) NOT IN ('void', 'draft')
)
, per AS (
    SELECT customer_id, count(*) FILTER (WHERE issued_at BETWEEN DATE '${start}' AND DATE '${end}') AS in_p,
           count(*) FILTER (WHERE issued_at <= DATE '${end}') AS by_end
    FROM inv WHERE units > 0 GROUP BY 1
), c AS (
    SELECT count(*) FILTER (WHERE in_p > 0) AS purchasers, count(*) FILTER (WHERE in_p > 0 AND by_end >= 2) AS repeaters
    FROM per
)
SELECT repeaters * 100 / nullif(purchasers, 0) AS value, purchasers, repeaters AS returning_purchasers,
       purchasers - repeaters AS one_time_purchasers
FROM c
