package compile

import (
	"github.com/azagen/azagen/internal/composecheck"
	"github.com/azagen/azagen/internal/pgcatalog"
	"github.com/azagen/azagen/internal/sqlparse"
)

// warmUp starts, on the other cores, the one-time initialisations that a
// compile otherwise pays on its critical path later, while CUE evaluates
// the source on one core: the PostgreSQL catalog and the SQL parser's first
// parse (its protobuf descriptors, or compiling the WebAssembly module
// without cgo) for the exporter-query rules, and compose-go's JSON schema
// when no cache can spare the validation. Each is done once per process
// behind a sync.Once that a later caller waits on, so nothing depends on
// which side gets there first, and no result changes. The work is wasted
// only when the source is invalid or declares no exporter query (issue #18:
// this takes about 30 ms off a cold check's wall time on the repository).
func warmUp(cache *composecheck.Cache) {
	go func() {
		pgcatalog.Load()
		_, _ = sqlparse.Parse("SELECT 1")
	}()
	if cache == nil {
		go composecheck.Prepare()
	}
}
