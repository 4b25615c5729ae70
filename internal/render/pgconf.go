package render

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
)

func settingsLines(b *strings.Builder, settings map[string]model.GUCValue) error {
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		lit, err := derive.GUCLiteral(settings[name])
		if err != nil {
			return fmt.Errorf("setting %s: %w", name, err)
		}
		fmt.Fprintf(b, "%s = %s\n", name, lit)
	}
	return nil
}

// BaseConf renders postgresql-base.conf, shared by every stack and the image.
func BaseConf(cfg *model.Config) (output.File, error) {
	var b strings.Builder
	b.WriteString(output.HashComment())
	b.WriteString(`#
# Shared by every stack and by the aza-pg image. Memory, connection, worker,
# WAL-size and planner-cost settings are not here: the image's auto-config
# computes them from the container's limits and passes them with -c, which
# overrides this file.

`)
	if err := settingsLines(&b, cfg.PostgreSQL.Base); err != nil {
		return output.File{}, err
	}
	return output.File{Path: model.BaseConfPath, Data: []byte(b.String())}, nil
}

// StackConf renders the postgresql.conf of one postgres service. It includes
// the base by a relative path: the two files sit side by side both in the
// container (/etc/postgresql) and wherever the tests put them.
func StackConf(st *model.Stack, svc *model.Service) (output.File, error) {
	var b strings.Builder
	b.WriteString(output.HashComment())
	fmt.Fprintf(&b, `#
# PostgreSQL config of %s in the %s stack (%s). Loaded by the command
# azagen renders into compose.yaml: postgres -c config_file=%s.

include = '%s'

`, svc.Key, st.Name, svc.Postgres.Role, model.ContainerConfPath, path.Base(model.ContainerBaseConfPath))
	settings := maps.Clone(svc.Postgres.Settings)
	if settings == nil {
		settings = map[string]model.GUCValue{}
	}
	settings["port"] = model.GUCValue{Kind: model.GUCInt, Int: int64(svc.Postgres.Port)}
	if err := settingsLines(&b, settings); err != nil {
		return output.File{}, err
	}
	b.WriteString("\n# TLS, from the stack's tls block: every network client must use it (pg_hba.conf).\n")
	if err := settingsLines(&b, derive.ServerTLSSettings(st, svc)); err != nil {
		return output.File{}, err
	}
	return output.File{Path: model.PostgresConfPath(st.Key), Data: []byte(b.String())}, nil
}
