-- health (defaults: 90-day window W ending at end, every weight 1, a component without data left
-- out, classes good >= 70, at risk >= 40, else poor): every customer paying at the closing
-- snapshot is scored 0..100 as the mean of the components that have data:
--   usage     = distinct days with an active event in W / 90 x 100 (0 without events);
--   breadth   = percentile rank of distinct active users in W; depth = distinct active event names
--               used in W / distinct active event names anyone used in W x 100;
--   nps, csat = latest response on or before end (same-day ones averaged), from the scale to 0..100;
--   support   = 100 - percentile rank of (tickets open at the end + complaints created in W), 100 with none;
--   payments  = 100 x (1 - not paid by due_at / positive invoices issued by end falling due in W);
--   mrr_trend = 50 + 50 x clip(MRR change from the day before W to end, -1, 1).
-- Percentile rank: (average rank - 1) / (n - 1) x 100 among the scored customers.
-- Value: the mean score. Details: customers and MRR per class.
WITH ${paying}
), w AS (SELECT DATE '${end}' - 89 AS lo, DATE '${end}' AS hi
), scored AS (  -- customers paying at the end, with their MRR then and at the end of the day before W
    SELECT customer_id,
           coalesce(sum(units) FILTER (WHERE started_at <= w.lo - 1 AND (ended_at IS NULL OR ended_at > w.lo - 1)), 0) AS before,
           coalesce(sum(units) FILTER (WHERE started_at <= w.hi AND (ended_at IS NULL OR ended_at > w.hi)), 0) AS mrr
    FROM paying, w GROUP BY 1 HAVING mrr > 0
), ev AS (
    SELECT e.customer_id, e.user_id, e.event, CAST(e.occurred_at AS DATE) AS day
    FROM read_csv('${data}/events.csv', quote = '"', escape = '"', types = {'event': 'VARCHAR'}) e, w
    WHERE CAST(e.occurred_at AS DATE) BETWEEN w.lo AND w.hi
      AND (len(${active_events}) = 0 OR list_contains(${active_events}, e.event))
), names AS (SELECT count(DISTINCT event) AS n FROM ev),
usage AS (
    SELECT customer_id, count(DISTINCT day) AS days, count(DISTINCT user_id) AS users, count(DISTINCT event) AS events
    FROM ev GROUP BY 1
), surveys AS (
    SELECT customer_id, lower(trim(survey)) AS kind, responded_at, score
    FROM read_csv('${data}/surveys.csv', quote = '"', escape = '"', types = {'customer_id': 'VARCHAR', 'survey': 'VARCHAR', 'score': 'DOUBLE',
                                                  'responded_at': 'DATE'}), w
    WHERE customer_id IS NOT NULL AND responded_at <= w.hi AND lower(trim(survey)) IN ('nps', 'csat')
), latest AS (
    SELECT customer_id, kind, avg(score) AS score FROM surveys
    GROUP BY customer_id, kind, responded_at
    QUALIFY responded_at = max(responded_at) OVER (PARTITION BY customer_id, kind)
), tickets AS (
    SELECT t.customer_id,
           count(*) FILTER (WHERE t.created_at < w.hi + 1 AND NOT coalesce(t.resolved_at < w.hi + 1, false))
         + count(*) FILTER (WHERE lower(trim(t.category)) IN ('complaint') AND t.created_at >= w.lo AND t.created_at < w.hi + 1) AS load
    FROM read_csv('${data}/tickets.csv', quote = '"', escape = '"', types = {'created_at': 'TIMESTAMP', 'resolved_at': 'TIMESTAMP', 'category': 'VARCHAR'}) t, w
    GROUP BY 1
), invoices AS (
    SELECT i.customer_id, count(*) AS due, count(*) FILTER (WHERE NOT coalesce(i.paid_at <= i.due_at, false)) AS bad
    FROM read_csv('${data}/invoices.csv', quote = '"', escape = '"', types = {'amount': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'status': 'VARCHAR',
                                                   'issued_at': 'DATE', 'due_at': 'DATE', 'paid_at': 'DATE'}) i
    LEFT JOIN rates r ON r.currency = upper(trim(i.currency)), w
    WHERE lower(trim(coalesce(i.status, ''))) NOT IN ('void', 'draft') AND round(i.amount * 10000 * coalesce(r.rate, 1)) > 0
      AND i.issued_at <= w.hi AND i.due_at BETWEEN w.lo AND w.hi
    GROUP BY 1
), raw AS (
    SELECT s.customer_id, s.mrr, s.before, coalesce(u.days, 0) AS days, coalesce(u.users, 0) AS users,
           coalesce(u.events, 0) AS events, coalesce(t.load, 0) AS load, n.score AS nps, c.score AS csat, i.due, i.bad
    FROM scored s
    LEFT JOIN usage u USING (customer_id)
    LEFT JOIN tickets t USING (customer_id)
    LEFT JOIN invoices i USING (customer_id)
    LEFT JOIN latest n ON n.customer_id = s.customer_id AND n.kind = 'nps'
    LEFT JOIN latest c ON c.customer_id = s.customer_id AND c.kind = 'csat'
), ranked AS (
    SELECT *, count(*) OVER () AS n,
           rank() OVER (ORDER BY users) - 1 + (count(*) OVER (PARTITION BY users) - 1) / 2 AS users_rank,
           rank() OVER (ORDER BY load) - 1 + (count(*) OVER (PARTITION BY load) - 1) / 2 AS load_rank
    FROM raw
), components AS (
    SELECT customer_id, mrr,
           days * 100.0 / 90 AS usage,
           CASE WHEN n > 1 THEN users_rank * 100 / (n - 1) ELSE 50 END AS breadth,
           CASE WHEN (SELECT n FROM names) > 0 THEN events * 100 / (SELECT n FROM names) END AS depth,
           (nps - 0) * 100 / 10 AS nps, (csat - 1) * 100 / 4 AS csat,
           CASE WHEN load = 0 THEN 100 WHEN n > 1 THEN 100 - load_rank * 100 / (n - 1) ELSE 50 END AS support,
           CASE WHEN due > 0 THEN 100 - bad * 100 / due END AS payments,
           CASE WHEN before > 0 THEN 50 + 50 * greatest(-1, least(1, (mrr - before) / before)) END AS mrr_trend
    FROM ranked
), scores AS (
    SELECT customer_id, mrr,
           (coalesce(usage, 0) + coalesce(breadth, 0) + coalesce(depth, 0) + coalesce(nps, 0) + coalesce(csat, 0)
            + coalesce(support, 0) + coalesce(payments, 0) + coalesce(mrr_trend, 0))
           / nullif((usage IS NOT NULL)::INT + (breadth IS NOT NULL)::INT + (depth IS NOT NULL)::INT + (nps IS NOT NULL)::INT
                    + (csat IS NOT NULL)::INT + (support IS NOT NULL)::INT + (payments IS NOT NULL)::INT
                    + (mrr_trend IS NOT NULL)::INT, 0) AS score
    FROM components
)
SELECT avg(score) AS value, count(*) AS customers, count(score) AS scored_customers,
       count(*) - count(score) AS unscored_customers, avg(score) AS mean_score,
       count(*) FILTER (WHERE score >= 70) AS good_customers, coalesce(sum(mrr) FILTER (WHERE score >= 70), 0) / 10000 AS good_mrr,
       count(*) FILTER (WHERE score >= 40 AND score < 70) AS at_risk_customers,
       coalesce(sum(mrr) FILTER (WHERE score >= 40 AND score < 70), 0) / 10000 AS at_risk_mrr,
       count(*) FILTER (WHERE score < 40) AS poor_customers, coalesce(sum(mrr) FILTER (WHERE score < 40), 0) / 10000 AS poor_mrr
FROM scores
