-- referrals: new customers (created_at, else the first paid day, in P) with referred_by / new customers x 100.
WITH ${paying}
), first_paid AS (
    SELECT customer_id, min(started_at) AS day FROM paying GROUP BY 1
), new AS (
    SELECT c.customer_id, nullif(trim(c.referred_by), '') AS referrer
    FROM read_csv('${data}/customers.csv', quote = '"', escape = '"', types = {'customer_id': 'VARCHAR', 'referred_by': 'VARCHAR', 'created_at': 'DATE'}) c
    LEFT JOIN first_paid f USING (customer_id)
    WHERE coalesce(c.created_at, f.day) BETWEEN DATE '${start}' AND DATE '${end}'
)
SELECT count(referrer) * 100 / nullif(count(*), 0) AS value, count(*) AS new_customers, count(referrer) AS referred_customers,
       count(DISTINCT referrer) AS referrers
FROM new
