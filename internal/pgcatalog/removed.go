package pgcatalog

// Removal is a name PostgreSQL removed or renamed.
type Removal struct {
	// Relation and Column name a removed column; Relation alone a removed relation; Function a
	// removed function.
	Relation, Column, Function string
	// Major is the PostgreSQL major version that removed it.
	Major int
	// Replacement is what to use instead, in words a user can act on.
	Replacement string
}

// removals are the removals and renames of the monitoring views and functions that exporter
// queries use, from the PostgreSQL release notes (E.x "Migration to Version N") of 10 to 18 and
// pg_stat_statements' own.
var removals = []Removal{
	{Relation: "pg_stat_bgwriter", Column: "checkpoints_timed", Major: 17, Replacement: "pg_stat_checkpointer.num_timed"},
	{Relation: "pg_stat_bgwriter", Column: "checkpoints_req", Major: 17, Replacement: "pg_stat_checkpointer.num_requested"},
	{Relation: "pg_stat_bgwriter", Column: "checkpoint_write_time", Major: 17, Replacement: "pg_stat_checkpointer.write_time"},
	{Relation: "pg_stat_bgwriter", Column: "checkpoint_sync_time", Major: 17, Replacement: "pg_stat_checkpointer.sync_time"},
	{Relation: "pg_stat_bgwriter", Column: "buffers_checkpoint", Major: 17, Replacement: "pg_stat_checkpointer.buffers_written"},
	{Relation: "pg_stat_bgwriter", Column: "buffers_backend", Major: 17, Replacement: "pg_stat_io.writes (backend_type 'client backend' and the other backend types)"},
	{Relation: "pg_stat_bgwriter", Column: "buffers_backend_fsync", Major: 17, Replacement: "pg_stat_io.fsyncs"},
	{Relation: "pg_stat_io", Column: "op_bytes", Major: 18, Replacement: "pg_stat_io.read_bytes, write_bytes and extend_bytes"},
	{Relation: "pg_stat_wal", Column: "wal_write", Major: 18, Replacement: "pg_stat_io.writes WHERE object = 'wal'"},
	{Relation: "pg_stat_wal", Column: "wal_sync", Major: 18, Replacement: "pg_stat_io.fsyncs WHERE object = 'wal'"},
	{Relation: "pg_stat_wal", Column: "wal_write_time", Major: 18, Replacement: "pg_stat_io.write_time WHERE object = 'wal'"},
	{Relation: "pg_stat_wal", Column: "wal_sync_time", Major: 18, Replacement: "pg_stat_io.fsync_time WHERE object = 'wal'"},
	{Relation: "pg_stat_statements", Column: "total_time", Major: 13, Replacement: "pg_stat_statements.total_exec_time (plus total_plan_time)"},
	{Relation: "pg_stat_statements", Column: "mean_time", Major: 13, Replacement: "pg_stat_statements.mean_exec_time"},
	{Relation: "pg_stat_statements", Column: "min_time", Major: 13, Replacement: "pg_stat_statements.min_exec_time"},
	{Relation: "pg_stat_statements", Column: "max_time", Major: 13, Replacement: "pg_stat_statements.max_exec_time"},
	{Relation: "pg_stat_statements", Column: "stddev_time", Major: 13, Replacement: "pg_stat_statements.stddev_exec_time"},
	{Relation: "pg_stat_statements", Column: "blk_read_time", Major: 17, Replacement: "pg_stat_statements.shared_blk_read_time"},
	{Relation: "pg_stat_statements", Column: "blk_write_time", Major: 17, Replacement: "pg_stat_statements.shared_blk_write_time"},
	{Relation: "pg_stat_replication", Column: "sent_location", Major: 10, Replacement: "pg_stat_replication.sent_lsn"},
	{Relation: "pg_stat_replication", Column: "write_location", Major: 10, Replacement: "pg_stat_replication.write_lsn"},
	{Relation: "pg_stat_replication", Column: "flush_location", Major: 10, Replacement: "pg_stat_replication.flush_lsn"},
	{Relation: "pg_stat_replication", Column: "replay_location", Major: 10, Replacement: "pg_stat_replication.replay_lsn"},
	{Relation: "pg_stat_activity", Column: "waiting", Major: 10, Replacement: "pg_stat_activity.wait_event_type and wait_event (since 9.6)"},
	{Function: "pg_current_xlog_location", Major: 10, Replacement: "pg_current_wal_lsn()"},
	{Function: "pg_current_xlog_insert_location", Major: 10, Replacement: "pg_current_wal_insert_lsn()"},
	{Function: "pg_last_xlog_receive_location", Major: 10, Replacement: "pg_last_wal_receive_lsn()"},
	{Function: "pg_last_xlog_replay_location", Major: 10, Replacement: "pg_last_wal_replay_lsn()"},
	{Function: "pg_xlog_location_diff", Major: 10, Replacement: "pg_wal_lsn_diff()"},
	{Function: "pg_is_xlog_replay_paused", Major: 10, Replacement: "pg_is_wal_replay_paused()"},
	{Function: "pg_xlogfile_name", Major: 10, Replacement: "pg_walfile_name()"},
	{Relation: "pg_stat_wal_receiver", Column: "received_lsn", Major: 13, Replacement: "pg_stat_wal_receiver.written_lsn and flushed_lsn"},
}

// RemovedColumn returns the removal of relation.column, or nil.
func RemovedColumn(relation, column string) *Removal {
	for i, r := range removals {
		if r.Relation == relation && r.Column == column {
			return &removals[i]
		}
	}
	return nil
}

// RemovedFunction returns the removal of a function, or nil.
func RemovedFunction(name string) *Removal {
	for i, r := range removals {
		if r.Function == name {
			return &removals[i]
		}
	}
	return nil
}
