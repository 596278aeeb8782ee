-- dso: receivables at closing (positive invoices issued on or before end, not paid on or before end)
-- / credit sales (positive invoices issued in P) x days of P.
WITH rates(currency, rate) AS (VALUES ${rates}),
inv AS (  -- invoices less the excluded statuses (void, draft), amounts in 1/10,000 of the base currency
    SELECT i.customer_id, i.issued_at, i.paid_at, round(i.amount * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/invoices.csv', quote = '"', escape = '"', types = {'amount': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'status': 'VARCHAR',
                                                   'issued_at': 'DATE', 'paid_at': 'DATE'}) i
    LEFT JOIN rates r ON r.currency = upper(trim(i.currency))
    WHERE lower(trim(coalesce(i.status, ''))) NOT IN ('void', 'draft')
)
, c AS (
    SELECT coalesce(sum(units) FILTER (WHERE issued_at <= DATE '${end}' AND (paid_at IS NULL OR paid_at > DATE '${end}')), 0) AS receivables,
           coalesce(sum(units) FILTER (WHERE issued_at BETWEEN DATE '${start}' AND DATE '${end}'), 0) AS credit_sales,
           count(*) FILTER (WHERE issued_at <= DATE '${end}' AND (paid_at IS NULL OR paid_at > DATE '${end}')) AS open_invoices,
           count(*) FILTER (WHERE issued_at BETWEEN DATE '${start}' AND DATE '${end}') AS credit_sale_invoices,
           DATE '${end}' - DATE '${start}' + 1 AS days
    FROM inv WHERE units > 0
)
SELECT receivables * days / nullif(credit_sales, 0) AS value, receivables / 10000 AS receivables, credit_sales / 10000 AS credit_sales,
       days, open_invoices, credit_sale_invoices
FROM c
