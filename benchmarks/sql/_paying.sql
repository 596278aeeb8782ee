-- The paying subscriptions of the revenue queries, in base-currency units of 1/10,000 (put in place
-- of `WITH paying` by bench_duckdb.render; these comment lines are left out): the CTEs rates, subs and paying, as the loader and the MRR
-- metrics read subscriptions.csv (trials and zero-MRR rows out, rows ending before they start out).
rates(currency, rate) AS (VALUES ${rates}),
subs AS (
    SELECT s.customer_id, s.started_at, s.ended_at, s.is_trial,
           round(s.mrr * 10000 * coalesce(r.rate, 1))::BIGINT AS units
    FROM read_csv('${data}/subscriptions.csv', quote = '"', escape = '"', types = {'mrr': 'DECIMAL(18,4)', 'currency': 'VARCHAR', 'is_trial': 'VARCHAR'}) s
    LEFT JOIN rates r ON r.currency = upper(trim(s.currency))
), paying AS (
    SELECT * FROM subs
    WHERE units > 0 AND lower(trim(coalesce(is_trial, ''))) NOT IN ('true', 'yes', 'y', '1', 't')
      AND (ended_at IS NULL OR ended_at > started_at)
