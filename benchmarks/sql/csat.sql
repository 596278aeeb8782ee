-- csat: responses of the `csat` survey dated in P scoring >= 4 (of 1..5) / responses x 100.
SELECT count(*) FILTER (WHERE score >= 4) * 100 / nullif(count(*), 0) AS value, count(*) AS responses,
       count(*) FILTER (WHERE score >= 4) AS satisfied, avg(score) AS mean_score
FROM read_csv('${data}/surveys.csv', quote = '"', escape = '"', types = {'survey': 'VARCHAR', 'score': 'DOUBLE', 'responded_at': 'DATE'})
WHERE lower(trim(survey)) = 'csat' AND responded_at BETWEEN DATE '${start}' AND DATE '${end}'
