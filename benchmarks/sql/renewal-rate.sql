-- renewal-rate: due = non-trial subscription rows whose term_ends_at falls in P; renewed = the customer
-- is paying (non-trial MRR > 0) at the end of the due day; renewed / due x 100.
WITH ${paying}
), due AS (
    SELECT row_number() OVER () AS id, customer_id, term_ends_at AS day
    FROM read_csv('${data}/subscriptions.csv', quote = '"', escape = '"', types = {'is_trial': 'VARCHAR', 'term_ends_at': 'DATE'})
    WHERE lower(trim(coalesce(is_trial, ''))) NOT IN ('true', 'yes', 'y', '1', 't')
      AND term_ends_at BETWEEN DATE '${start}' AND DATE '${end}'
), renewed AS (
    SELECT DISTINCT d.id FROM due d JOIN paying p
      ON p.customer_id = d.customer_id AND p.started_at <= d.day AND (p.ended_at IS NULL OR p.ended_at > d.day)
)
SELECT (SELECT count(*) FROM renewed) * 100 / nullif(count(*), 0) AS value, count(*) AS due, (SELECT count(*) FROM renewed) AS renewed,
       count(*) - (SELECT count(*) FROM renewed) AS not_renewed
FROM due
