-- A plan step that changed the plan's constraints keeps them before and after,
-- so that undo and redo restore them as they restore blocks and grids (an
-- undone constraints edit used to leave the constraints in force).
ALTER TABLE plan_step ADD COLUMN constraints_before jsonb, ADD COLUMN constraints_after jsonb;
