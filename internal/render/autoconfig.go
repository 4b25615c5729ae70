package render

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/escape"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/templates"
)

// ImageFiles renders what the aza-pg image ships besides postgresql-base.conf:
// the auto-config entrypoint, the healthcheck and the initdb script that
// creates the extensions.
func ImageFiles(cfg *model.Config) ([]output.File, error) {
	entry, err := Entrypoint(cfg)
	if err != nil {
		return nil, err
	}
	health, err := Healthcheck(cfg)
	if err != nil {
		return nil, err
	}
	return []output.File{entry, health, ExtensionsInit(cfg)}, nil
}

// tier is one step of a tier list: below, up to or from Bound MB of RAM,
// the value is Value.
type tier struct{ Bound, Value int }

type namedWorkload struct {
	Name string
	model.WorkloadProfile
}

type namedStorage struct {
	Name string
	model.StorageProfile
}

type entrypointData struct {
	Header                     string
	P                          autoconfig.Params
	Preload                    string
	Workloads                  []namedWorkload
	Storage                    []namedStorage
	WorkloadList, StorageList  string
	CheckpointCompletionTarget string
	ConnectionTiers            []tier
	SharedBuffersTiers         []tier
	WorkMemTiers               []tier
}

var templateFuncs = template.FuncMap{
	// tierChain renders an if/elif chain that sets name to the value of the
	// first tier whose condition (cond with the bound for %d) holds, else
	// to otherwise.
	"tierChain": func(name, cond string, tiers []tier, otherwise int) string {
		if len(tiers) == 0 {
			return fmt.Sprintf("%s=%d", name, otherwise)
		}
		var b strings.Builder
		for i, t := range tiers {
			if i > 0 {
				b.WriteString("el")
			}
			fmt.Fprintf(&b, "if ((%s)); then\n\t%s=%d\n", fmt.Sprintf(cond, t.Bound), name, t.Value)
		}
		fmt.Fprintf(&b, "else\n\t%s=%d\nfi", name, otherwise)
		return b.String()
	},
	"indent": func(s string) string {
		return "\t" + strings.ReplaceAll(s, "\n", "\n\t")
	},
}

// parsed holds the templates parsed so far: every stack renders the same
// few, and parsing one each time was most of their cost (issue #18). A
// parsed template is safe to execute concurrently.
var parsed struct {
	sync.Mutex
	m map[string]*template.Template
}

func parsedTemplate(name string) (*template.Template, error) {
	parsed.Lock()
	defer parsed.Unlock()
	if t, ok := parsed.m[name]; ok {
		return t, nil
	}
	t, err := template.New(name).Funcs(templateFuncs).Option("missingkey=error").ParseFS(templates.FS, name)
	if err != nil {
		return nil, err
	}
	if parsed.m == nil {
		parsed.m = map[string]*template.Template{}
	}
	parsed.m[name] = t
	return t, nil
}

// execTemplate renders one of the embedded templates; a missing key is an
// error rather than an empty string in a generated script.
func execTemplate(name string, data any) ([]byte, error) {
	t, err := parsedTemplate(name)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// Entrypoint renders the auto-config entrypoint with the constants of the
// autoconfig block and the image's preload default.
func Entrypoint(cfg *model.Config) (output.File, error) {
	p := autoconfig.FromModel(cfg)
	d := entrypointData{
		Header:                     strings.TrimSuffix(output.HashComment(), "\n"),
		P:                          p,
		Preload:                    strings.Join(cfg.PostgreSQL.Preload, ","),
		WorkloadList:               strings.Join(orderedKeys(p.Workloads, autoconfig.Workloads), ", "),
		StorageList:                strings.Join(orderedKeys(p.Storage, autoconfig.StorageTypes), ", "),
		CheckpointCompletionTarget: strconv.FormatFloat(p.CheckpointCompletionTarget, 'f', -1, 64),
	}
	for _, name := range orderedKeys(p.Workloads, autoconfig.Workloads) {
		d.Workloads = append(d.Workloads, namedWorkload{name, p.Workloads[name]})
	}
	for _, name := range orderedKeys(p.Storage, autoconfig.StorageTypes) {
		d.Storage = append(d.Storage, namedStorage{name, p.Storage[name]})
	}
	for _, t := range p.MaxConnections.Scale {
		d.ConnectionTiers = append(d.ConnectionTiers, tier{t.RAMBelowMB, t.Percent})
	}
	for _, t := range p.SharedBuffers.Ratio {
		d.SharedBuffersTiers = append(d.SharedBuffersTiers, tier{t.RAMUpToMB, t.Percent})
	}
	for _, t := range p.WorkMem.ScaledCaps {
		d.WorkMemTiers = append(d.WorkMemTiers, tier{t.RAMFromMB, t.CapMB})
	}
	data, err := execTemplate("docker-auto-config-entrypoint.sh.tmpl", d)
	if err != nil {
		return output.File{}, err
	}
	return output.File{Path: model.EntrypointPath, Data: data, Mode: 0o755}, nil
}

// Healthcheck renders the image's healthcheck from the expected extensions
// and preload libraries of the source.
func Healthcheck(cfg *model.Config) (output.File, error) {
	superuser := superuserOf(cfg)
	data, err := execTemplate("healthcheck.sh.tmpl", struct {
		Header, Superuser, Database, Preload, ExtensionList string
		Extensions                                          []string
	}{
		Header:        strings.TrimSuffix(output.HashComment(), "\n"),
		Superuser:     superuser,
		Database:      normalize.Database(cfg),
		Preload:       strings.Join(cfg.PostgreSQL.Preload, ","),
		ExtensionList: strings.Join(cfg.PostgreSQL.Extensions, ", "),
		Extensions:    cfg.PostgreSQL.Extensions,
	})
	if err != nil {
		return output.File{}, err
	}
	return output.File{Path: model.HealthcheckPath, Data: data, Mode: 0o755}, nil
}

// superuserOf names the superuser role; "postgres", the image's default,
// when the model has none (policy refuses that for real sources).
func superuserOf(cfg *model.Config) string {
	if su := normalize.Superuser(cfg); su != nil {
		return su.Name
	}
	return "postgres"
}

// ExtensionsInit renders the initdb script that creates postgresql.extensions.
// The official entrypoint runs it (it is executable) once, on an empty data
// directory, against a temporary server that listens on the socket only and
// already has the auto-config's shared_preload_libraries.
func ExtensionsInit(cfg *model.Config) output.File {
	var b strings.Builder
	b.WriteString("#!/usr/bin/env bash\n" + output.HashComment())
	b.WriteString(`#
# Creates the extensions listed in postgresql.extensions of stacks.cue in
# POSTGRES_DB, the database the entrypoint also names in cron.database_name;
# the image's healthcheck expects each of them. CASCADE brings dependencies
# (vectorscale needs vector).
set -Eeuo pipefail

psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password \
	--username "${POSTGRES_USER:-` + superuserOf(cfg) + `}" \
	--dbname "${POSTGRES_DB:-` + normalize.Database(cfg) + `}" <<'SQL'
`)
	for _, ext := range cfg.PostgreSQL.Extensions {
		fmt.Fprintf(&b, "CREATE EXTENSION IF NOT EXISTS %s CASCADE;\n", escape.SQLIdentMinimal(ext))
	}
	b.WriteString("SQL\n")
	return output.File{Path: model.ExtensionsInitPath, Data: []byte(b.String()), Mode: 0o755}
}

// orderedKeys returns the keys of m in the order of known, then any others
// sorted.
func orderedKeys[V any](m map[string]V, known []string) []string {
	var out []string
	for _, k := range known {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(known, k) {
			out = append(out, k)
		}
	}
	return out
}
