-- nps: (promoters >= 9 - detractors <= 6) / responses x 100 over the `nps` responses dated in P
-- (anonymous ones count); margin of error 1.96 x sqrt((p + d) - (p - d)^2) / sqrt(n) x 100.
WITH c AS (
    SELECT count(*) AS n, count(*) FILTER (WHERE score >= 9) AS p, count(*) FILTER (WHERE score <= 6) AS d
    FROM read_csv('${data}/surveys.csv', quote = '"', escape = '"', types = {'survey': 'VARCHAR', 'score': 'DOUBLE', 'responded_at': 'DATE'})
    WHERE lower(trim(survey)) = 'nps' AND responded_at BETWEEN DATE '${start}' AND DATE '${end}'
)
SELECT (p - d) * 100 / nullif(n, 0) AS value, n AS responses, p AS promoters, n - p - d AS passives, d AS detractors,
       p * 100 / nullif(n, 0) AS promoters_pct, d * 100 / nullif(n, 0) AS detractors_pct,
       1.96 * sqrt(greatest((p / nullif(n, 0) + d / nullif(n, 0)) - (p / nullif(n, 0) - d / nullif(n, 0)) ** 2, 0))
       / sqrt(nullif(n, 0)) * 100 AS margin_of_error
FROM c
