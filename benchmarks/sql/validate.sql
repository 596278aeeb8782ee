-- validate: every table read whole as text, each cell checked against the data contract's type
-- (a required value empty, an optional one present but unparseable, a subscription ending before it
-- starts or with negative MRR, a score off its survey's scale, a repeated id), the excluded invoice
-- statuses and the survey kinds other than nps/csat/ces filtered; per table rows read, used,
-- filtered and rejected, and customer ids of other tables that customers.csv does not know.
WITH customers AS (
    SELECT count(*) AS read, count(*) FILTER (WHERE bad) AS bad, count(*) FILTER (WHERE NOT bad AND filtered) AS filtered,
           count(customer_id) FILTER (WHERE NOT bad AND NOT filtered) - count(DISTINCT customer_id) FILTER (WHERE NOT bad AND NOT filtered) AS dup
    FROM (SELECT coalesce(customer_id IS NULL OR trim(customer_id) = ''
              OR (created_at IS NOT NULL AND trim(created_at) <> '' AND NOT (TRY_CAST(trim(created_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(created_at) AS TIMESTAMP) IS NOT NULL))
              OR (churned_at IS NOT NULL AND trim(churned_at) <> '' AND NOT (TRY_CAST(trim(churned_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(churned_at) AS TIMESTAMP) IS NOT NULL)), false) AS bad,
                 coalesce(false, false) AS filtered, customer_id
          FROM read_csv('${data}/customers.csv', quote = '"', escape = '"', all_varchar = true))
),
subscriptions AS (
    SELECT count(*) AS read, count(*) FILTER (WHERE bad) AS bad, count(*) FILTER (WHERE NOT bad AND filtered) AS filtered,
           count(subscription_id) FILTER (WHERE NOT bad AND NOT filtered) - count(DISTINCT subscription_id) FILTER (WHERE NOT bad AND NOT filtered) AS dup
    FROM (SELECT coalesce(subscription_id IS NULL OR trim(subscription_id) = ''
              OR customer_id IS NULL OR trim(customer_id) = ''
              OR started_at IS NULL OR trim(started_at) = ''
              OR (started_at IS NOT NULL AND trim(started_at) <> '' AND NOT (TRY_CAST(trim(started_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(started_at) AS TIMESTAMP) IS NOT NULL))
              OR (ended_at IS NOT NULL AND trim(ended_at) <> '' AND NOT (TRY_CAST(trim(ended_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(ended_at) AS TIMESTAMP) IS NOT NULL))
              OR mrr IS NULL OR trim(mrr) = ''
              OR (mrr IS NOT NULL AND trim(mrr) <> '' AND NOT (TRY_CAST(regexp_replace(trim(mrr), '^[$$฿]|,', '', 'g') AS DECIMAL(18,4)) IS NOT NULL))
              OR (is_trial IS NOT NULL AND trim(is_trial) <> '' AND NOT (lower(trim(is_trial)) IN ('true', 'false', 'yes', 'no', 'y', 'n', '1', '0', 't', 'f', '')))
              OR (term_ends_at IS NOT NULL AND trim(term_ends_at) <> '' AND NOT (TRY_CAST(trim(term_ends_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(term_ends_at) AS TIMESTAMP) IS NOT NULL))
              OR TRY_CAST(ended_at AS DATE) < TRY_CAST(started_at AS DATE)
              OR TRY_CAST(mrr AS DECIMAL(18,4)) < 0, false) AS bad,
                 coalesce(false, false) AS filtered, subscription_id
          FROM read_csv('${data}/subscriptions.csv', quote = '"', escape = '"', all_varchar = true))
),
invoices AS (
    SELECT count(*) AS read, count(*) FILTER (WHERE bad) AS bad, count(*) FILTER (WHERE NOT bad AND filtered) AS filtered,
           count(invoice_id) FILTER (WHERE NOT bad AND NOT filtered) - count(DISTINCT invoice_id) FILTER (WHERE NOT bad AND NOT filtered) AS dup
    FROM (SELECT coalesce(invoice_id IS NULL OR trim(invoice_id) = ''
              OR customer_id IS NULL OR trim(customer_id) = ''
              OR issued_at IS NULL OR trim(issued_at) = ''
              OR (issued_at IS NOT NULL AND trim(issued_at) <> '' AND NOT (TRY_CAST(trim(issued_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(issued_at) AS TIMESTAMP) IS NOT NULL))
              OR amount IS NULL OR trim(amount) = ''
              OR (amount IS NOT NULL AND trim(amount) <> '' AND NOT (TRY_CAST(regexp_replace(trim(amount), '^[$$฿]|,', '', 'g') AS DECIMAL(18,4)) IS NOT NULL))
              OR (due_at IS NOT NULL AND trim(due_at) <> '' AND NOT (TRY_CAST(trim(due_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(due_at) AS TIMESTAMP) IS NOT NULL))
              OR (paid_at IS NOT NULL AND trim(paid_at) <> '' AND NOT (TRY_CAST(trim(paid_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(paid_at) AS TIMESTAMP) IS NOT NULL))
              OR (quantity IS NOT NULL AND trim(quantity) <> '' AND NOT (regexp_full_match(trim(quantity), '[+-]?[0-9]+(\.0+)?'))), false) AS bad,
                 coalesce(lower(trim(coalesce(status, ''))) IN ('void', 'draft'), false) AS filtered, invoice_id
          FROM read_csv('${data}/invoices.csv', quote = '"', escape = '"', all_varchar = true))
),
surveys AS (
    SELECT count(*) AS read, count(*) FILTER (WHERE bad) AS bad, count(*) FILTER (WHERE NOT bad AND filtered) AS filtered,
           count(response_id) FILTER (WHERE NOT bad AND NOT filtered) - count(DISTINCT response_id) FILTER (WHERE NOT bad AND NOT filtered) AS dup
    FROM (SELECT coalesce(responded_at IS NULL OR trim(responded_at) = ''
              OR (responded_at IS NOT NULL AND trim(responded_at) <> '' AND NOT (TRY_CAST(trim(responded_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(responded_at) AS TIMESTAMP) IS NOT NULL))
              OR survey IS NULL OR trim(survey) = ''
              OR score IS NULL OR trim(score) = ''
              OR (score IS NOT NULL AND trim(score) <> '' AND NOT (TRY_CAST(trim(score) AS DOUBLE) IS NOT NULL))
              OR (lower(trim(survey)) = 'nps' AND NOT TRY_CAST(score AS DOUBLE) BETWEEN 0 AND 10)
              OR (lower(trim(survey)) = 'csat' AND NOT TRY_CAST(score AS DOUBLE) BETWEEN 1 AND 5)
              OR (lower(trim(survey)) = 'ces' AND NOT TRY_CAST(score AS DOUBLE) BETWEEN 1 AND 7), false) AS bad,
                 coalesce(lower(trim(survey)) NOT IN ('nps', 'csat', 'ces'), false) AS filtered, response_id
          FROM read_csv('${data}/surveys.csv', quote = '"', escape = '"', all_varchar = true))
),
tickets AS (
    SELECT count(*) AS read, count(*) FILTER (WHERE bad) AS bad, count(*) FILTER (WHERE NOT bad AND filtered) AS filtered,
           count(ticket_id) FILTER (WHERE NOT bad AND NOT filtered) - count(DISTINCT ticket_id) FILTER (WHERE NOT bad AND NOT filtered) AS dup
    FROM (SELECT coalesce(ticket_id IS NULL OR trim(ticket_id) = ''
              OR customer_id IS NULL OR trim(customer_id) = ''
              OR created_at IS NULL OR trim(created_at) = ''
              OR (created_at IS NOT NULL AND trim(created_at) <> '' AND NOT (TRY_CAST(trim(created_at) AS TIMESTAMP) IS NOT NULL))
              OR (first_response_at IS NOT NULL AND trim(first_response_at) <> '' AND NOT (TRY_CAST(trim(first_response_at) AS TIMESTAMP) IS NOT NULL))
              OR (resolved_at IS NOT NULL AND trim(resolved_at) <> '' AND NOT (TRY_CAST(trim(resolved_at) AS TIMESTAMP) IS NOT NULL))
              OR (contacts IS NOT NULL AND trim(contacts) <> '' AND NOT (regexp_full_match(trim(contacts), '[+-]?[0-9]+(\.0+)?')))
              OR (reopened IS NOT NULL AND trim(reopened) <> '' AND NOT (lower(trim(reopened)) IN ('true', 'false', 'yes', 'no', 'y', 'n', '1', '0', 't', 'f', ''))), false) AS bad,
                 coalesce(false, false) AS filtered, ticket_id
          FROM read_csv('${data}/tickets.csv', quote = '"', escape = '"', all_varchar = true))
),
events AS (
    SELECT count(*) AS read, count(*) FILTER (WHERE bad) AS bad, count(*) FILTER (WHERE NOT bad AND filtered) AS filtered,
           0 AS dup
    FROM (SELECT coalesce(customer_id IS NULL OR trim(customer_id) = ''
              OR user_id IS NULL OR trim(user_id) = ''
              OR occurred_at IS NULL OR trim(occurred_at) = ''
              OR (occurred_at IS NOT NULL AND trim(occurred_at) <> '' AND NOT (TRY_CAST(trim(occurred_at) AS TIMESTAMP) IS NOT NULL))
              OR (duration_seconds IS NOT NULL AND trim(duration_seconds) <> '' AND NOT (TRY_CAST(trim(duration_seconds) AS DOUBLE) IS NOT NULL)), false) AS bad,
                 coalesce(false, false) AS filtered
          FROM read_csv('${data}/events.csv', quote = '"', escape = '"', all_varchar = true))
),
leads AS (
    SELECT count(*) AS read, count(*) FILTER (WHERE bad) AS bad, count(*) FILTER (WHERE NOT bad AND filtered) AS filtered,
           count(lead_id) FILTER (WHERE NOT bad AND NOT filtered) - count(DISTINCT lead_id) FILTER (WHERE NOT bad AND NOT filtered) AS dup
    FROM (SELECT coalesce(lead_id IS NULL OR trim(lead_id) = ''
              OR created_at IS NULL OR trim(created_at) = ''
              OR (created_at IS NOT NULL AND trim(created_at) <> '' AND NOT (TRY_CAST(trim(created_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(created_at) AS TIMESTAMP) IS NOT NULL))
              OR (converted_at IS NOT NULL AND trim(converted_at) <> '' AND NOT (TRY_CAST(trim(converted_at) AS DATE) IS NOT NULL OR TRY_CAST(trim(converted_at) AS TIMESTAMP) IS NOT NULL)), false) AS bad,
                 coalesce(false, false) AS filtered, lead_id
          FROM read_csv('${data}/leads.csv', quote = '"', escape = '"', all_varchar = true))
),
costs AS (
    SELECT count(*) AS read, count(*) FILTER (WHERE bad) AS bad, count(*) FILTER (WHERE NOT bad AND filtered) AS filtered,
           0 AS dup
    FROM (SELECT coalesce(month IS NULL OR trim(month) = ''
              OR amount IS NULL OR trim(amount) = ''
              OR (amount IS NOT NULL AND trim(amount) <> '' AND NOT (TRY_CAST(regexp_replace(trim(amount), '^[$$฿]|,', '', 'g') AS DECIMAL(18,4)) IS NOT NULL)), false) AS bad,
                 coalesce(false, false) AS filtered
          FROM read_csv('${data}/costs.csv', quote = '"', escape = '"', all_varchar = true))
),
known AS (SELECT DISTINCT customer_id FROM read_csv('${data}/customers.csv', quote = '"', escape = '"', all_varchar = true)),
refs AS (
    SELECT customer_id FROM read_csv('${data}/subscriptions.csv', quote = '"', escape = '"', all_varchar = true)
    UNION SELECT customer_id FROM read_csv('${data}/invoices.csv', quote = '"', escape = '"', all_varchar = true)
    UNION SELECT customer_id FROM read_csv('${data}/tickets.csv', quote = '"', escape = '"', all_varchar = true)
    UNION SELECT customer_id FROM read_csv('${data}/surveys.csv', quote = '"', escape = '"', all_varchar = true) WHERE customer_id IS NOT NULL
    UNION SELECT customer_id FROM read_csv('${data}/events.csv', quote = '"', escape = '"', all_varchar = true)
)
SELECT customers.bad + customers.dup + subscriptions.bad + subscriptions.dup + invoices.bad + invoices.dup + surveys.bad + surveys.dup + tickets.bad + tickets.dup + events.bad + events.dup + leads.bad + leads.dup + costs.bad + costs.dup AS value,
       customers.read AS customers_read, customers.read - customers.bad - customers.dup - customers.filtered AS customers_used, customers.filtered AS customers_filtered, customers.bad + customers.dup AS customers_rejected,
       subscriptions.read AS subscriptions_read, subscriptions.read - subscriptions.bad - subscriptions.dup - subscriptions.filtered AS subscriptions_used, subscriptions.filtered AS subscriptions_filtered, subscriptions.bad + subscriptions.dup AS subscriptions_rejected,
       invoices.read AS invoices_read, invoices.read - invoices.bad - invoices.dup - invoices.filtered AS invoices_used, invoices.filtered AS invoices_filtered, invoices.bad + invoices.dup AS invoices_rejected,
       surveys.read AS surveys_read, surveys.read - surveys.bad - surveys.dup - surveys.filtered AS surveys_used, surveys.filtered AS surveys_filtered, surveys.bad + surveys.dup AS surveys_rejected,
       tickets.read AS tickets_read, tickets.read - tickets.bad - tickets.dup - tickets.filtered AS tickets_used, tickets.filtered AS tickets_filtered, tickets.bad + tickets.dup AS tickets_rejected,
       events.read AS events_read, events.read - events.bad - events.dup - events.filtered AS events_used, events.filtered AS events_filtered, events.bad + events.dup AS events_rejected,
       leads.read AS leads_read, leads.read - leads.bad - leads.dup - leads.filtered AS leads_used, leads.filtered AS leads_filtered, leads.bad + leads.dup AS leads_rejected,
       costs.read AS costs_read, costs.read - costs.bad - costs.dup - costs.filtered AS costs_used, costs.filtered AS costs_filtered, costs.bad + costs.dup AS costs_rejected,
       (SELECT count(*) FROM refs WHERE customer_id NOT IN (SELECT customer_id FROM known)) AS _unknown_customers
FROM customers, subscriptions, invoices, surveys, tickets, events, leads, costs
