package guc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPostgresOracle compares Validate with a real postgres binary. It is
// skipped unless AZAGEN_PG_ORACLE holds the command to run postgres, for
// example
//
//	AZAGEN_PG_ORACLE="runuser -u postgres -- /usr/lib/postgresql/15/bin/postgres"
//
// (postgres refuses to run as root). For each case it runs
// `postgres -C name -c name=value` against an empty config file and
// checks that both sides accept or reject the value, that the error
// message and HINT are the same, and that an accepted number converts to
// the same base-unit value. The cases use parameters whose limits did not
// change between PostgreSQL 15 and 18, so any server from 15 on will do;
// the parsing code (parse_int, parse_real, parse_bool, units, enum
// lookup) has not changed in that span either.
func TestPostgresOracle(t *testing.T) {
	cmdline := strings.Fields(os.Getenv("AZAGEN_PG_ORACLE"))
	if len(cmdline) == 0 {
		t.Skip("AZAGEN_PG_ORACLE not set")
	}
	// postgres runs as its own user and must be able to read the files;
	// t.TempDir's parent directory is private, so make one directly.
	dir, err := os.MkdirTemp("", "guc-oracle-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range oracleCases {
		args := append(append([]string(nil), cmdline[1:]...),
			"-C", c.name, "-D", dir, "-c", "config_file="+conf, "-c", c.name+"="+c.value)
		cmd := exec.Command(cmdline[0], args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		pgMsg, pgHint := "", ""
		for _, line := range strings.Split(stderr.String(), "\n") {
			if _, m, ok := strings.Cut(line, "FATAL:  "); ok {
				pgMsg = m
			}
			if _, h, ok := strings.Cut(line, "HINT:  "); ok {
				pgHint = h
			}
		}
		err := Validate(c.name, c.value)
		switch {
		case runErr == nil && err != nil:
			t.Errorf("%s = %q: postgres accepts (%s), Validate says %v", c.name, c.value, strings.TrimSpace(stdout.String()), err)
		case runErr != nil && pgMsg == "":
			t.Errorf("%s = %q: postgres failed without a FATAL line: %v\n%s", c.name, c.value, runErr, stderr.String())
		case runErr != nil && err == nil:
			t.Errorf("%s = %q: postgres rejects (%s), Validate accepts", c.name, c.value, pgMsg)
		case runErr != nil:
			ve := err.(*Error)
			if ve.Message != pgMsg || ve.Hint != pgHint {
				t.Errorf("%s = %q:\n postgres: %s | HINT: %s\n Validate: %s | HINT: %s", c.name, c.value, pgMsg, pgHint, ve.Message, ve.Hint)
			}
		default:
			got := strings.TrimSpace(stdout.String())
			if want := baseValue(t, c.name, c.value); want != "" && want != got {
				t.Errorf("%s = %q: postgres stores %s, parse gives %s", c.name, c.value, got, want)
			}
		}
	}
}

// baseValue is what `postgres -C` prints for an accepted integer or real
// value: the number in the setting's base unit, without the unit.
func baseValue(t *testing.T, name, value string) string {
	s, _ := Lookup(name)
	switch s.Type {
	case "integer":
		v, _, ok := parseInt(value, s.Unit)
		if !ok {
			t.Fatalf("parseInt(%q) failed after Validate accepted it", value)
		}
		return strconv.FormatInt(v, 10)
	case "real":
		v, _, ok := parseReal(value, s.Unit)
		if !ok {
			t.Fatalf("parseReal(%q) failed after Validate accepted it", value)
		}
		return formatG(v)
	}
	return ""
}

var oracleCases = []struct{ name, value string }{
	{"work_mem", "1MB"}, {"work_mem", "1.5MB"}, {"work_mem", "64kB"}, {"work_mem", "63kB"},
	{"work_mem", "0.5MB"}, {"work_mem", "1GB"}, {"work_mem", "2TB"}, {"work_mem", "1 MB"},
	{"work_mem", "1mb"}, {"work_mem", "100000000000"}, {"work_mem", "1e3"}, {"work_mem", "0x100"},
	{"work_mem", "010"}, {"work_mem", "08"}, {"work_mem", " 4MB "}, {"work_mem", "4MB x"},
	{"work_mem", "4096.5"}, {"work_mem", "4097.5"}, {"work_mem", "65537B"}, {"work_mem", "65535.5B"},
	{"work_mem", "8XB"}, {"work_mem", "-.5"}, {"work_mem", ".5MB"}, {"work_mem", "1e"},
	{"work_mem", "inf"}, {"work_mem", "0x1.8p10"}, {"work_mem", "1MBB"},
	{"shared_buffers", "128MB"}, {"shared_buffers", "1GB"}, {"shared_buffers", "100kB"},
	{"shared_buffers", "0.1GB"}, {"shared_buffers", "16"}, {"shared_buffers", "lots"}, {"shared_buffers", "127kB"},
	{"checkpoint_timeout", "5min"}, {"checkpoint_timeout", "1h"}, {"checkpoint_timeout", "1d"},
	{"checkpoint_timeout", "29999ms"}, {"checkpoint_timeout", "29.5s"}, {"checkpoint_timeout", "1.5min"},
	{"checkpoint_timeout", "2d"}, {"checkpoint_timeout", "90"}, {"checkpoint_timeout", "5m"},
	{"log_min_duration_statement", "-1"}, {"log_min_duration_statement", "250ms"},
	{"log_min_duration_statement", "1.5s"}, {"log_min_duration_statement", "500us"},
	{"log_min_duration_statement", "1500us"}, {"log_min_duration_statement", "2500us"}, {"log_min_duration_statement", "-0.5"},
	{"log_min_duration_statement", "-2"},
	{"vacuum_cost_delay", "2ms"}, {"vacuum_cost_delay", "500us"}, {"vacuum_cost_delay", "0.5"},
	{"vacuum_cost_delay", "101"}, {"vacuum_cost_delay", "1e2"}, {"vacuum_cost_delay", "0x10"},
	{"vacuum_cost_delay", "1s"}, {"vacuum_cost_delay", "0.1s"},
	{"random_page_cost", "1.1"}, {"random_page_cost", "-1"}, {"random_page_cost", "1e308"},
	{"random_page_cost", "inf"}, {"random_page_cost", "nan"}, {"random_page_cost", "1e-400"},
	{"random_page_cost", "1e400"}, {"random_page_cost", "4ms"},
	{"geqo_selection_bias", "1.49"}, {"geqo_selection_bias", "2"},
	{"enable_seqscan", "on"}, {"enable_seqscan", "of"}, {"enable_seqscan", "o"},
	{"enable_seqscan", "t"}, {"enable_seqscan", "TRUE"}, {"enable_seqscan", "Ye"},
	{"enable_seqscan", "2"}, {"enable_seqscan", "off "}, {"enable_seqscan", "truex"},
	{"wal_level", "hot_standby"}, {"wal_level", "archive"}, {"wal_level", "LOGICAL"},
	{"wal_level", "minimal "}, {"wal_level", "full"},
	{"synchronous_commit", "true"}, {"synchronous_commit", "0"}, {"synchronous_commit", "maybe"},
	{"archive_mode", "yes"}, {"archive_mode", "always"},
	{"client_min_messages", "debug"}, {"client_min_messages", "info"}, {"client_min_messages", "fatal"},
	{"log_min_messages", "debug"}, {"huge_pages", "1"},
	{"autovacuum_naptime", "1min"}, {"autovacuum_naptime", "1d"}, {"autovacuum_naptime", "0"},
	{"log_rotation_age", "1d"}, {"log_rotation_age", "90s"}, {"log_rotation_age", "29s"}, {"log_rotation_age", "31s"},
	{"temp_file_limit", "-1"}, {"temp_file_limit", "1TB"}, {"temp_file_limit", "2TB"},
	{"wal_buffers", "16MB"}, {"wal_buffers", "-1"}, {"wal_buffers", "-2"},
	{"max_connections", "0"}, {"max_connections", "100"}, {"max_connections", "0x64"}, {"max_connections", "1e2"},
	{"max_connections", "100 "}, {"max_connections", "100kB"},
	{"log_parameter_max_length", "1kB"}, {"log_parameter_max_length", "-1"}, {"log_parameter_max_length", "1.5B"},
	{"default_text_search_config", "pg_catalog.english"},
	{"sort_mem", "1MB"}, {"Work_Mem", "2MB"},
}
