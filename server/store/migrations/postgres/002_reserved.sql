-- Placeholder on the chat-inbox branch only: version 2 is 002_identities.sql on another branch.
-- The migration loader refuses gaps; drop this file when merging (002_identities.sql takes its place).
SELECT 1;
