# The differential corpus of exporter queries: one query a line ("#" lines are
# comments). TestExporterQueryDifferential asks PostgreSQL 18 (PREPARE) and
# azagen for a verdict on each; they must agree. Valid and invalid ones mixed:
# joins, CTEs, casts, functions, extension views, removed columns.
SELECT count(*)::float8 AS n FROM pg_stat_activity
SELECT d.datname::text AS datname, s.xact_commit::float8 AS commits FROM pg_stat_database s JOIN pg_database d ON d.oid = s.datid
WITH a AS (SELECT state, count(*) AS n FROM pg_stat_activity GROUP BY state) SELECT coalesce(state, 'none') AS state, n::float8 AS n FROM a
SELECT x.n::float8 AS n FROM (SELECT count(*) AS n FROM pg_locks) x
SELECT c.relname::text AS rel, (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)::float8 AS indexes FROM pg_class c WHERE c.relkind = 'r' ORDER BY c.relname LIMIT 5
SELECT name AS setting_name, setting::float8 AS v FROM pg_settings WHERE name = 'max_connections'
SELECT pg_database_size(current_database())::float8 AS bytes
SELECT EXTRACT(EPOCH FROM now() - pg_postmaster_start_time())::float8 AS uptime
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS lsn_bytes
SELECT COALESCE(sum(calls), 0)::float8 AS calls FROM pg_stat_statements
SELECT count(*)::float8 AS hypertables FROM timescaledb_information.hypertables
SELECT num_timed::float8 AS timed, num_requested::float8 AS requested FROM pg_stat_checkpointer
SELECT backend_type, object, context, COALESCE(read_bytes, 0)::float8 AS read_bytes FROM pg_stat_io WHERE backend_type IS NOT NULL
SELECT datname::text AS datname, rank() OVER (ORDER BY numbackends DESC)::float8 AS r FROM pg_stat_database WHERE datname IS NOT NULL
SELECT 'a' AS k, 1::float8 AS v UNION ALL SELECT 'b', 2
SELECT c.relname::text AS rel, s.n::float8 AS n FROM pg_class c CROSS JOIN LATERAL (SELECT count(*) AS n FROM pg_attribute a WHERE a.attrelid = c.oid) s WHERE c.relname = 'pg_class'
SELECT datname::text AS datname, numbackends::float8 AS n FROM pg_stat_database JOIN pg_database USING (datname)
SELECT count(*)::float8 AS n FROM information_schema.tables WHERE table_schema = 'pg_catalog'
SELECT table_name::text AS t, 1::float8 AS one FROM information_schema.views ORDER BY 1 LIMIT 3
SELECT pg_is_in_recovery()::int::float8 AS recovery
SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END::float8 AS standby
SELECT count(*)::float8 AS files, COALESCE(sum(size), 0)::float8 AS bytes FROM pg_ls_waldir()
SELECT g::text AS g, 1::float8 AS one FROM generate_series(1, 3) g
SELECT datname::text AS d, age(datfrozenxid)::float8 AS age FROM pg_database ORDER BY age DESC
SELECT coalesce(state, 'none') AS state, count(*)::float8 AS n FROM pg_stat_activity GROUP BY 1
SELECT application_name AS app, COALESCE(pg_wal_lsn_diff(sent_lsn, replay_lsn), 0)::float8 AS lag FROM pg_stat_replication
SELECT slot_name::text AS slot, (NOT active)::int::float8 AS inactive FROM pg_replication_slots
SELECT vector_dims('[1,2,3]'::vector)::float8 AS dims
SELECT count(*) FILTER (WHERE state = 'active')::float8 AS active FROM pg_stat_activity
SELECT similarity('abc', 'abd')::float8 AS sim
SELECT s.datname::text AS datname, s.blks_hit::float8 / NULLIF(s.blks_hit + s.blks_read, 0)::float8 AS ratio FROM pg_stat_database s WHERE s.datname IS NOT NULL
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT max(n)::float8 AS top FROM r
SELECT checkpoints_timed::float8 AS timed FROM pg_stat_bgwriter
SELECT buffers_backend::float8 AS b FROM pg_stat_bgwriter
SELECT op_bytes::float8 AS b FROM pg_stat_io
SELECT wal_write::float8 AS w FROM pg_stat_wal
SELECT pg_xlog_location_diff(pg_current_wal_lsn(), '0/0')::float8 AS d
SELECT sum(total_time)::float8 AS t FROM pg_stat_statements
SELECT count(*)::float8 AS n FROM pg_stat_activty
SELECT a.stat::text AS s FROM pg_stat_activity a
SELECT x.datname FROM pg_database d
SELECT oid FROM pg_class JOIN pg_namespace ON relnamespace = pg_namespace.oid
SELECT 1::float9 AS x
SELECT sum(datname)::float8 AS s FROM pg_database
SELECT pg_database_size()::float8 AS s
SELECT count(*)::float8 AS n FROM pg_buffercache
SELECT count(*) FORM pg_stat_activity
WITH a AS (SELECT 1 AS one) SELECT two FROM a
SELECT x.n FROM (SELECT count(*) AS n FROM pg_locks) y
SELECT 1 AS a UNION SELECT 1, 2
SELECT lower('x') FILTER (WHERE true) AS l
SELECT rank() AS r FROM pg_class
SELECT count(*) FROM hypertables
SELECT count(*) FROM pgmq.meta
SELECT count(*) FROM tables
SELECT num_timd FROM pg_stat_checkpointer
SELECT c.relname FROM pg_class c WHERE c.relnamespace = n.oid
SELECT blk_read_time::float8 AS t FROM pg_stat_statements
# Privileges of the exporter's monitoring role (pg_monitor): schema USAGE at
# PREPARE, SELECT and EXECUTE when the plan starts (EXPLAIN EXECUTE).
SELECT count(*)::float8 AS jobs FROM cron.job
SELECT count(*)::float8 AS n FROM pg_authid
SELECT rolname::text AS role, 1::float8 AS one FROM pg_roles
SELECT subname::text AS sub, 1::float8 AS one FROM pg_subscription
SELECT subconninfo AS conninfo, 1::float8 AS one FROM pg_subscription
SELECT length(pg_read_file('postgresql.conf'))::float8 AS len
SELECT count(*)::float8 AS n FROM pg_subscription
# A function in FROM sees the items before it without LATERAL (a noise word there), never those after it.
SELECT e.key AS k, count(*)::float8 AS n FROM pg_settings s, jsonb_each_text(jsonb_build_object(s.name, s.setting)) e WHERE s.name = 'max_connections' GROUP BY e.key
SELECT e.key AS k FROM jsonb_each_text(jsonb_build_object(s.name, s.setting)) e, pg_settings s
