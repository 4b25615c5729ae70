package pgcatalog

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/testing/oracle"
)

var update = flag.Bool("update", false, "rewrite "+dataFile+" from the real server")

// dumpedExtensions are the extensions whose objects the catalog knows, each in its own section.
// They are the stacks' extensions that the test rootfs ships, plus pg_buffercache, which
// monitoring queries often read. An extension missing here is unknown to azagen: a query naming
// its relations is refused, as PREPARE on a server without it would refuse it.
var dumpedExtensions = []string{"pg_buffercache", "pg_cron", "pg_stat_statements", "pg_trgm", "pgaudit", "timescaledb", "vector"}

// TestCatalogMatchesServer dumps the catalog of names from a real PostgreSQL 18.6 (the sid
// rootfs's, through internal/testing/oracle) and checks that the committed data file is that
// dump. With -update it rewrites the file instead (regen.sh).
func TestCatalogMatchesServer(t *testing.T) {
	c := oracle.NewCluster(t, oracle.ClusterOptions{Settings: []string{
		// pg_cron, pgaudit and timescaledb only load from shared_preload_libraries.
		"shared_preload_libraries=pg_stat_statements,pg_cron,pgaudit,timescaledb",
		"cron.database_name=postgres",
		"timescaledb.telemetry_level=off",
	}})
	if err := c.Start(); err != nil {
		t.Fatalf("start: %v\n%s", err, c.Log())
	}
	got := Dump(t, c)
	if *update {
		if err := os.WriteFile(dataFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs from the server's catalog at line %d (run regen.sh):\n server: %s\n file:   %s", dataFile, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s has %d lines, the server's dump %d (run regen.sh)", dataFile, len(wl), len(gl))
	}
}

// Dump returns the catalog data of the running cluster c: the core section, then one section per
// dumpedExtensions entry (pg_depend tells each extension's members apart; all are created in
// database postgres, the only one pg_cron accepts).
func Dump(t testing.TB, c *oracle.Cluster) string {
	version := c.SuperuserPsql(t, "SHOW server_version")
	var b strings.Builder
	fmt.Fprintf(&b, "# Catalog of names of PostgreSQL %s, dumped by dump_test.go (regen.sh); do not edit.\n", version)
	b.WriteString("# T type category | R schema relation relkind readable columns(name:type[!]) | F schema name prokind retset rettype executable args(types) ndefaults variadic outcolumns(name:type)\n")
	b.WriteString("# readable: r, executable: x, and a column without ! are what role pg_monitor may use; s: no USAGE on the schema.\n")
	b.WriteString("@core\n")
	b.WriteString(c.SuperuserPsql(t, dumpSQL(coreFilter)) + "\n")
	for _, ext := range dumpedExtensions {
		out := c.SuperuserPsql(t, "CREATE EXTENSION "+ext+";\n"+dumpSQL(fmt.Sprintf(extFilter, ext)))
		fmt.Fprintf(&b, "@extension %s\n%s\n", ext, out)
	}
	return b.String()
}

// coreFilter and extFilter select the objects of a section; %[1]s is the object's catalog
// (pg_class, pg_proc, pg_type) and %[2]s its oid. Core is pg_catalog and information_schema
// minus any extension member (plpgsql's handler functions are core: plpgsql is preinstalled).
const coreFilter = `n.nspname IN ('pg_catalog', 'information_schema') AND NOT EXISTS (
  SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE d.classid = '%[1]s'::regclass AND d.objid = %[2]s AND d.deptype = 'e' AND e.extname <> 'plpgsql')`

const extFilter = `EXISTS (
  SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE d.classid = '%%[1]s'::regclass AND d.objid = %%[2]s AND d.deptype = 'e' AND e.extname = '%s')`

// dumpSQL is the query that prints one line per type, relation and function that filter
// selects, sorted bytewise so that the dump is stable.
func dumpSQL(filter string) string {
	f := func(catalog, oid string) string { return fmt.Sprintf(filter, catalog, oid) }
	return `SELECT line FROM (
SELECT 1 AS o, t.typname::text AS k, concat_ws(E'\t', 'T', t.typname, t.typcategory) AS line
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typrelid = 0 AND t.typcategory <> 'A' AND ` + f("pg_type", "t.oid") + `
UNION ALL
SELECT 2, n.nspname || '.' || c.relname, concat_ws(E'\t', 'R', n.nspname, c.relname, c.relkind,
  CASE WHEN NOT has_schema_privilege('pg_monitor', n.oid, 'USAGE') THEN 's' WHEN has_table_privilege('pg_monitor', c.oid, 'SELECT') THEN 'r' ELSE '-' END,
  coalesce((SELECT string_agg(a.attname || ':' || at.typname
      || CASE WHEN has_column_privilege('pg_monitor', c.oid, a.attnum, 'SELECT') THEN '' ELSE '!' END, ' ' ORDER BY a.attnum)
   FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p', 'S') AND ` + f("pg_class", "c.oid") + `
UNION ALL
SELECT 3, n.nspname || '.' || p.proname, concat_ws(E'\t', 'F', n.nspname, p.proname, p.prokind, p.proretset, rt.typname,
  CASE WHEN NOT has_schema_privilege('pg_monitor', n.oid, 'USAGE') THEN 's' WHEN has_function_privilege('pg_monitor', p.oid, 'EXECUTE') THEN 'x' ELSE '-' END,
  coalesce((SELECT string_agg(at.typname, ',' ORDER BY u.i) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(ty, i) JOIN pg_type at ON at.oid = u.ty), ''),
  p.pronargdefaults, p.provariadic <> 0,
  coalesce((SELECT string_agg(u.n || ':' || at.typname, ' ' ORDER BY u.i)
   FROM unnest(p.proargnames, p.proallargtypes, p.proargmodes) WITH ORDINALITY AS u(n, ty, m, i)
   JOIN pg_type at ON at.oid = u.ty WHERE u.m IN ('o', 'b', 't')), ''))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_type rt ON rt.oid = p.prorettype
WHERE p.prokind <> 'p' AND ` + f("pg_proc", "p.oid") + `
) s ORDER BY o, k COLLATE "C", line COLLATE "C"`
}
