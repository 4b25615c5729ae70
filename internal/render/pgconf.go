package render

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
)

// GUCLiteral renders a setting value in postgresql.conf syntax: booleans as
// on/off, numbers bare, strings single-quoted with quotes and backslashes
// escaped.
func GUCLiteral(v model.GUCValue) (string, error) {
	switch v.Kind {
	case "bool":
		if v.Bool {
			return "on", nil
		}
		return "off", nil
	case "int":
		return strconv.FormatInt(v.Int, 10), nil
	case "float":
		return strconv.FormatFloat(v.Float, 'f', -1, 64), nil
	default:
		return escape.ConfStringChecked(v.String)
	}
}

// GUCText is the value as PostgreSQL parses it, without quotes: what the
// catalog check and the docs compare.
func GUCText(v model.GUCValue) string {
	switch v.Kind {
	case "string":
		return v.String
	default:
		s, _ := GUCLiteral(v)
		return s
	}
}

func settingsLines(b *strings.Builder, settings map[string]model.GUCValue) error {
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		lit, err := GUCLiteral(settings[name])
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
	settings["port"] = model.GUCValue{Kind: "int", Int: int64(svc.Postgres.Port)}
	if err := settingsLines(&b, settings); err != nil {
		return output.File{}, err
	}
	return output.File{Path: model.PostgresConfPath(st.Key), Data: []byte(b.String())}, nil
}
