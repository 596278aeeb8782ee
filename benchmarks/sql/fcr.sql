-- fcr: of the tickets created in P and resolved by its end, those with contacts <= 1 (an empty
-- cell is not first-contact) and not reopened (empty = not reopened) / resolved x 100.
WITH t AS (
    SELECT resolved_at < DATE '${end}' + INTERVAL 1 DAY AS resolved, contacts,
           coalesce(lower(trim(reopened)) IN ('true', 'yes', 'y', '1', 't'), false) AS reopened
    FROM read_csv('${data}/tickets.csv', quote = '"', escape = '"', types = {'created_at': 'TIMESTAMP', 'resolved_at': 'TIMESTAMP',
                                                  'contacts': 'BIGINT', 'reopened': 'VARCHAR'})
    WHERE created_at >= DATE '${start}' AND created_at < DATE '${end}' + INTERVAL 1 DAY
), c AS (
    SELECT count(*) AS created, count(*) FILTER (WHERE resolved) AS resolved,
           count(*) FILTER (WHERE resolved AND contacts <= 1 AND NOT reopened) AS first_contact_resolved,
           count(*) FILTER (WHERE resolved AND reopened) AS reopened
    FROM t
)
SELECT first_contact_resolved * 100 / nullif(resolved, 0) AS value, created, resolved, first_contact_resolved, reopened FROM c
