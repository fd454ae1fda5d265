-- 0005: reserved for the sweep slice (wt-sweep); a no-op placeholder in this branch only.
-- The lead replaces this file by the real 0005 when merging.
SELECT 1;
