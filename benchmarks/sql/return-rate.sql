-- return-rate: returned units (|quantity| of rows with quantity < 0) / sold units (quantity of rows with
-- quantity > 0) x 100 over the invoice rows issued in P; an empty quantity counts one unit, returned
-- when the amount is negative.
WITH rates(currency, rate) AS (VALUES ${rates}),
inv AS (
    SELECT i.quantity, round(i.amount * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/invoices.csv', quote = '"', escape = '"', types = {'amount': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'status': 'VARCHAR',
                                                   'issued_at': 'DATE', 'quantity': 'BIGINT'}) i
    LEFT JOIN rates r ON r.currency = upper(trim(i.currency))
    WHERE lower(trim(coalesce(i.status, ''))) NOT IN ('void', 'draft') AND i.issued_at BETWEEN DATE '${start}' AND DATE '${end}'
), c AS (
    SELECT coalesce(-sum(quantity) FILTER (WHERE quantity < 0), 0) + count(*) FILTER (WHERE quantity IS NULL AND units < 0) AS returned,
           coalesce(sum(quantity) FILTER (WHERE quantity > 0), 0) + count(*) FILTER (WHERE quantity IS NULL AND units >= 0) AS sold,
           count(*) AS invoice_rows, count(*) FILTER (WHERE quantity IS NULL) AS rows_without_quantity
    FROM inv
)
SELECT returned * 100 / nullif(sold, 0) AS value, returned AS returned_units, sold AS sold_units, invoice_rows, rows_without_quantity
FROM c
