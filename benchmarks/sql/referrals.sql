-- referrals: new customers (created_at, else the first paid day, in P) with referred_by / new customers x 100.
WITH rates(currency, rate) AS (VALUES ${rates}),
subs AS (
    SELECT s.customer_id, s.started_at, s.ended_at, s.is_trial,
           round(s.mrr * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/subscriptions.csv', quote = '"', escape = '"', types = {'mrr': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'is_trial': 'VARCHAR'}) s
    LEFT JOIN rates r ON r.currency = upper(trim(s.currency))
), paying AS (
    SELECT * FROM subs
    WHERE units > 0 AND lower(trim(coalesce(is_trial, ''))) NOT IN ('true', 'yes', 'y', '1', 't')
      AND (ended_at IS NULL OR ended_at > started_at)
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
