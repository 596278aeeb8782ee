-- conversion (trial): trial rows whose ended_at falls in P; converted = the customer started a non-trial
-- row with MRR > 0 between the trial's start and 14 days after its end, both included.
-- The shared CTEs give `subs` (every row, in units); their `paying` is not used here.
WITH ${paying}
), trials AS (
    SELECT row_number() OVER () AS id, customer_id, started_at, ended_at FROM subs
    WHERE lower(trim(coalesce(is_trial, ''))) IN ('true', 'yes', 'y', '1', 't') AND ended_at BETWEEN DATE '${start}' AND DATE '${end}'
), converted AS (
    SELECT DISTINCT t.id FROM trials t JOIN subs p
      ON p.customer_id = t.customer_id AND p.units > 0 AND lower(trim(coalesce(p.is_trial, ''))) NOT IN ('true', 'yes', 'y', '1', 't')
     AND p.started_at BETWEEN t.started_at AND t.ended_at + 14
)
SELECT (SELECT count(*) FROM converted) * 100 / nullif(count(*), 0) AS value, count(*) AS trials, (SELECT count(*) FROM converted) AS converted
FROM trials
