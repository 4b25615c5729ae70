package policy

import (
	"maps"
	"slices"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/guc"
	"github.com/azagen/azagen/internal/model"
)

// loadedPrefixes are the GUC prefixes of the libraries the image preloads
// or the extensions initdb creates.
func loadedPrefixes(pg model.PostgreSQL) map[string]bool {
	libs := map[string]bool{}
	for _, l := range append(slices.Clone(pg.Preload), pg.Extensions...) {
		libs[l] = true
	}
	out := maps.Clone(libs)
	for prefix, lib := range pg.ExtensionGUCs {
		if libs[lib] {
			out[prefix] = true
		}
	}
	return out
}

func gucValid(c *checker) {
	b := c.cfg.PostgreSQL.Build
	gc := guc.Checker{Extensions: loadedPrefixes(c.cfg.PostgreSQL), LZ4: b.LZ4, Zstd: b.Zstd, IOUring: b.IOUring}
	check := func(path string, settings map[string]model.GUCValue) {
		for _, name := range slices.Sorted(maps.Keys(settings)) {
			if err := gc.Validate(name, derive.GUCText(settings[name])); err != nil {
				c.report(path+"."+diag.Label(name), "%v", err)
			}
		}
	}
	check("postgresql.base", c.cfg.PostgreSQL.Base)
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if svc.Postgres != nil {
			check(path+".postgres.settings", svc.Postgres.Settings)
		}
	})
}
