-- changes in 0.2 to families that existed in 0.1 (common, scores)
GRANT USAGE ON SCHEMA csat TO PUBLIC;
