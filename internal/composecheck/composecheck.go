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
	"github.com/compose-spec/compose-go/v2/schema"
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
	// The passes are independent: they run side by side (a compose file
	// is checked in about the time of its slower pass), and the static
	// pass's verdict comes first, as when they ran in turn.
	static := make(chan error, 1)
	go func() {
		_, err := loader.LoadModelWithContext(ctx, details(map[string]string{}), func(o *loader.Options) {
			common(o)
			o.SkipInterpolation = true
			o.SkipResolveEnvironment = true
		})
		static <- err
	}()
	_, dynErr := loader.LoadWithContext(ctx, details(sampleEnv), common)
	if err := <-static; err != nil {
		return fmt.Errorf("compose-go (static pass): %w", err)
	}
	if dynErr != nil {
		return fmt.Errorf("compose-go (with sample environment): %w", dynErr)
	}
	return nil
}

// Prepare compiles compose-go's JSON schema of the Compose file format, which
// compose-go does once per process on the first validation (about 16 ms), so
// that a caller can pay it ahead, in parallel with other work.
func Prepare() {
	// The verdict on an empty model does not matter: the call is for the
	// compilation behind it.
	_ = schema.Validate(map[string]any{})
}
