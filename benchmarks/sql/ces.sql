-- ces: responses of the `ces` survey dated in P scoring >= 5 (of 1..7) / responses x 100.
SELECT count(*) FILTER (WHERE score >= 5) * 100 / nullif(count(*), 0) AS value, count(*) AS responses,
       count(*) FILTER (WHERE score >= 5) AS positive, avg(score) AS mean_score
FROM read_csv('${data}/surveys.csv', quote = '"', escape = '"', types = {'survey': 'VARCHAR', 'score': 'DOUBLE', 'responded_at': 'DATE'})
WHERE lower(trim(survey)) = 'ces' AND responded_at BETWEEN DATE '${start}' AND DATE '${end}'
