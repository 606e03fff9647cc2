-- The incidents that count as work for workload and supervision analytics:
-- routed to a grid, not rejected, and not a duplicate of another report (the
-- original carries the work). Each with its category's effort weight. A plain
-- view, so the planner folds it into every query and the incident indexes
-- (reported_at, grid_code) still apply.
CREATE VIEW countable_incident AS
SELECT i.id, i.category_code, c.effort_weight, i.reported_at, i.grid_code, i.community_code, i.town_code,
       i.status, i.department, i.dispatched_at, i.deadline_at, i.handled_at, i.closed_at, i.satisfaction
FROM incident i JOIN incident_category c ON c.code = i.category_code
WHERE i.grid_code IS NOT NULL AND i.status <> 'rejected' AND i.duplicate_of IS NULL;
