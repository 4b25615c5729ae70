// Package composecheck validates rendered compose files with compose-go, the
// library behind `docker compose config`, in two passes: statically with
// interpolation skipped (schema and structure, placeholders kept), then with
// a sample environment (interpolation, type casts, normalization and
// cross-references). The first pass cannot catch a bad value hidden behind a
// variable and the second cannot see a placeholder, hence both.
package composecheck

import (
	"context"
	"fmt"
	"maps"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// Validate runs both passes on one compose file. workingDir is the
// directory the file will live in; it only affects how compose-go names
// things, since paths are not resolved and nothing is read from disk.
func Validate(ctx context.Context, filename, workingDir, project string, content []byte, sampleEnv map[string]string) error {
	details := func(env map[string]string) types.ConfigDetails {
		return types.ConfigDetails{
			WorkingDir:  workingDir,
			ConfigFiles: []types.ConfigFile{{Filename: filename, Content: content}},
			// compose-go adds COMPOSE_PROJECT_NAME to the map it is given.
			Environment: types.Mapping(maps.Clone(env)),
		}
	}
	common := func(o *loader.Options) {
		o.SetProjectName(project, true)
		o.ResolvePaths = false
		o.SkipInclude = true
		o.SkipExtends = true
	}
	if _, err := loader.LoadModelWithContext(ctx, details(map[string]string{}), func(o *loader.Options) {
		common(o)
		o.SkipInterpolation = true
		o.SkipResolveEnvironment = true
	}); err != nil {
		return fmt.Errorf("compose-go (static pass): %w", err)
	}
	if _, err := loader.LoadWithContext(ctx, details(sampleEnv), common); err != nil {
		return fmt.Errorf("compose-go (with sample environment): %w", err)
	}
	return nil
}
