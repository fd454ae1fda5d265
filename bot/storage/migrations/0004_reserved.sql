-- 0004: reserved for the identity slice (wt-id); a no-op placeholder in this branch only.
-- The lead replaces this file by the real 0004 when merging.
SELECT 1;
