package docs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/derive"
	md "github.com/azagen/azagen/internal/markdown"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/rules"
)

// argKind says what may follow a table name after the dot.
type argKind int

const (
	argNone          argKind = iota
	argStack                 // required: a stack key
	argOptionalStack         // all stacks without it, one stack with it
	argWorkload              // optional: an auto-config workload
)

// tableSpec is one table azagen can render between markers. build returns
// the table as data (rows of typed cells); Markdown is produced from it by
// the markdown package, in one place.
type tableSpec struct {
	name    string
	arg     argKind
	summary string
	build   func(in *Input, arg string) (md.Content, error)
}

// specs lists every table, in the order the tables table shows them.
func specs() []tableSpec {
	return []tableSpec{
		{"commands", argNone, "the commands, global flags and exit codes, from the CLI itself", buildCommands},
		{"cli", argNone, "the full CLI reference: every command's help, usage, examples and flags", buildCLI},
		{"services", argOptionalStack, "each stack's description and services: kind, image, limits, dependencies", buildServices},
		{"ports", argOptionalStack, "published ports: host IP, host port, container port, where the service listens in its container, expose reason", buildPorts},
		{"connections", argOptionalStack, "every connection a stack makes or serves: client, what it dials, login, TLS mode and the reason for a weaker one", buildConnections},
		{"diagram", argStack, "a Mermaid picture of a stack: services, networks, published ports with their host binding, and every login with its role, sslmode and the pg_hba rule that admits it", buildDiagram},
		{"networks", argOptionalStack, "compose networks, their real names and the services on them", buildNetworks},
		{"volumes", argOptionalStack, "named volumes, their real names and where they are mounted", buildVolumes},
		{"env", argOptionalStack, "variables the compose file reads from .env: default, required, used by", buildEnv},
		{"tunables", argOptionalStack, "tunables an operator sets per host in .env: default, allowed range or set, the field it sets, used by", buildTunables},
		{"healthchecks", argOptionalStack, "normalized healthchecks, each value with the layer it came from", buildHealthchecks},
		{"gucs", argOptionalStack, "PostgreSQL settings a stack sets, next to the shared base", buildGUCs},
		{"gucs-base", argNone, "every setting of postgresql-base.conf", buildBaseGUCs},
		{"tuning", argStack, "what the image's auto-config computes for a stack's postgres services from their limits", buildTuning},
		{"autoconfig", argWorkload, "auto-config tiers: RAM × CPUs, for the entrypoint's default workload (or the one named)", buildAutoconfig},
		{"extensions", argNone, "extensions created at initdb and libraries preloaded by the image", buildExtensions},
		{"metrics", argNone, "custom postgres_exporter metrics: name, type, help, labels, query", buildMetrics},
		{"backup", argOptionalStack, "pgBackRest of each stack with a backup block: service, stanza, repository, retention, compression, encryption", buildBackup},
		{"backup-schedule", argOptionalStack, "the systemd timers of the backup schedule: calendar and the command each runs", buildBackupSchedule},
		{"images", argOptionalStack, "pinned images: tag and digest", buildImages},
		{"k8s", argOptionalStack, "the CloudNativePG target of each stack: namespace, Cluster, instances, storage, anti-affinity, Pooler", buildK8s},
		{"k8s-parameters", argStack, "every setting of a stack's server and what its CloudNativePG Cluster does with it", buildK8sParameters},
		{"k8s-pooler", argOptionalStack, "PgBouncer settings and whether the CloudNativePG Pooler carries them", buildK8sPooler},
		{"k8s-roles", argStack, "each role and its CloudNativePG counterpart", buildK8sRoles},
		{"defaults", argNone, "schema defaults: every field azagen fills in when stacks.cue leaves it out", buildDefaults},
		{"rules", argNone, "every rule ID azagen reports", buildRules},
		{"tables", argNone, "this list", buildTables},
	}
}

func lookupSpec(name string) (tableSpec, bool) {
	for _, s := range specs() {
		if s.name == name {
			return s, true
		}
	}
	return tableSpec{}, false
}

// tableError is a table that exists but cannot be rendered; rule says
// which kind of problem it is.
type tableError struct {
	rule string
	msg  string
}

func (e *tableError) Error() string { return e.msg }

// renderTable renders the table reference ref ("ports" or "ports.primary").
func renderTable(in *Input, ref string) (string, error) {
	if err := checkRef(in, ref); err != nil {
		return "", err
	}
	name, arg, _ := strings.Cut(ref, ".")
	spec, _ := lookupSpec(name)
	out, err := spec.build(in, arg)
	if err != nil {
		return "", &tableError{rules.DocsTable, fmt.Sprintf("table %s: %v", ref, err)}
	}
	return out.String(), nil
}

// checkRef validates a table reference: a known table, with the argument
// it takes.
func checkRef(in *Input, ref string) error {
	name, arg, hasArg := strings.Cut(ref, ".")
	spec, ok := lookupSpec(name)
	if !ok {
		var names []string
		for _, s := range specs() {
			names = append(names, s.name)
		}
		return &tableError{rules.DocsUnknownTable, fmt.Sprintf("unknown table %q; azagen renders %s", name, strings.Join(names, ", "))}
	}
	switch spec.arg {
	case argNone:
		if hasArg {
			return &tableError{rules.DocsUnknownTable, fmt.Sprintf("table %s takes no argument, found %q", name, arg)}
		}
	case argStack, argOptionalStack:
		if !hasArg && spec.arg == argStack {
			return &tableError{rules.DocsUnknownTable, fmt.Sprintf("table %s needs a stack: %s.<stack> with one of %s", name, name, strings.Join(stackKeys(in.Config), ", "))}
		}
		if hasArg && in.Config.Stacks[arg] == nil {
			return &tableError{rules.DocsUnknownTable, fmt.Sprintf("table %s: unknown stack %q; stacks.cue has %s", name, arg, strings.Join(stackKeys(in.Config), ", "))}
		}
	case argWorkload:
		if _, known := in.Config.AutoConfig.Workloads[arg]; hasArg && !known {
			return &tableError{rules.DocsUnknownTable, fmt.Sprintf("table %s: unknown workload %q; stacks.cue has %s", name, arg, strings.Join(slices.Sorted(maps.Keys(in.Config.AutoConfig.Workloads)), ", "))}
		}
	}
	return nil
}

func stackKeys(c *model.Config) []string { return slices.Sorted(maps.Keys(c.Stacks)) }

// stacksFor returns the stacks a table covers: the one named, or all.
func stacksFor(c *model.Config, arg string) []*model.Stack {
	if arg != "" {
		return []*model.Stack{c.Stacks[arg]}
	}
	var out []*model.Stack
	for _, k := range stackKeys(c) {
		out = append(out, c.Stacks[k])
	}
	return out
}

func services(st *model.Stack) []*model.Service {
	var out []*model.Service
	for _, k := range slices.Sorted(maps.Keys(st.Services)) {
		out = append(out, st.Services[k])
	}
	return out
}

func postgresServices(st *model.Stack) []*model.Service {
	return slices.DeleteFunc(services(st), func(s *model.Service) bool { return s.Postgres == nil })
}

// withStack prepends the stack column when a table covers every stack.
func withStack(all bool, st *model.Stack, cells ...md.Inline) []md.Inline {
	if all {
		return append([]md.Inline{md.CodeSpan(st.Key)}, cells...)
	}
	return cells
}

func head(all bool, cols ...string) []string {
	if all {
		return append([]string{"Stack"}, cols...)
	}
	return cols
}

func buildPorts(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Service", "Host IP", "Host port", "Container port", "Listens in the container", "Expose reason")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, svc := range services(st) {
			for _, p := range derive.SortedPorts(svc.Ports) {
				reason := md.None
				if p.ExposeReason != "" {
					reason = md.Text(p.ExposeReason)
				}
				t.Add(withStack(all, st, md.CodeSpan(svc.Key), md.CodeSpan(p.HostIP), md.Text(strconv.Itoa(p.Host)), md.Text(strconv.Itoa(p.Container)), listenIn(in.Config, svc), reason)...)
			}
		}
	}
	return md.Content{t}, nil
}

// listenIn is the second binding layer: the address the service itself
// binds inside its container, as azagen renders it.
func listenIn(c *model.Config, svc *model.Service) md.Inline {
	switch {
	case svc.Postgres != nil:
		v, ok := svc.Postgres.Settings["listen_addresses"]
		if !ok {
			v, ok = c.PostgreSQL.Base["listen_addresses"]
		}
		lit := ""
		if ok {
			lit, _ = derive.GUCLiteral(v)
		} else {
			lit, _ = derive.GUCLiteral(model.GUCValue{Kind: "string", String: svc.Postgres.ListenAddresses})
		}
		return md.CodeSpan("listen_addresses = " + lit)
	case svc.PgBouncer != nil:
		return md.CodeSpan(fmt.Sprintf("listen_addr = %s", svc.PgBouncer.ListenAddr))
	case svc.Exporter != nil:
		return md.Text(fmt.Sprintf("port %d, every interface", svc.Exporter.ListenPort))
	}
	return md.None
}

func buildNetworks(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Network", "Compose name", "Created by", "Services")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, k := range slices.Sorted(maps.Keys(st.Networks)) {
			n := st.Networks[k]
			created := "this stack"
			if n.External {
				created = "not this stack (external: it must exist first)"
			} else if n.Attachable {
				created = "this stack (attachable by other stacks)"
			}
			var users []string
			for _, svc := range services(st) {
				if slices.Contains(svc.Networks, k) {
					users = append(users, svc.Key)
				}
			}
			t.Add(withStack(all, st, md.CodeSpan(k), md.CodeSpan(n.Name), md.Text(created), md.CodeList(users))...)
		}
	}
	return md.Content{t}, nil
}

func buildEnv(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Variable", "Default", "Required", "Used by", "Description")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, v := range derive.Variables(st) {
			def, req := md.None, md.Text("no")
			if v.Default != nil {
				def = md.CodeSpan(*v.Default)
			} else {
				req = md.Text("yes: " + v.Required)
			}
			desc := md.None
			if v.Doc != "" {
				desc = md.Text(v.Doc)
			}
			t.Add(withStack(all, st, md.CodeSpan(v.Name), def, req, md.CodeList(v.UsedBy), desc)...)
		}
	}
	return md.Content{t}, nil
}

func buildTunables(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Tunable", "Default", "Allowed", "Sets", "Used by", "Description")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, v := range derive.Variables(st) {
			tu := v.Tunable
			if tu == nil {
				continue
			}
			desc := md.None
			if v.Doc != "" {
				desc = md.Text(v.Doc)
			}
			t.Add(withStack(all, st, md.CodeSpan(v.Name), md.CodeSpan(tu.Default), md.CodeSpan(tu.Range()),
				md.CodeSpan(tu.Service+"."+tu.Field), md.CodeList(v.UsedBy), desc)...)
		}
	}
	return md.Content{t}, nil
}

func buildHealthchecks(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Service", "Setting", "Value", "From")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, svc := range services(st) {
			for _, f := range derive.HealthFields(svc.Health) {
				t.Add(withStack(all, st, md.CodeSpan(svc.Key), md.CodeSpan(f.Name), md.CodeSpan(f.Value), origin(f.Origin))...)
			}
		}
	}
	return md.Content{t}, nil
}

// origin renders a layer: CUE paths as code, descriptions as text.
func origin(o model.Origin) md.Inline {
	if o.InSource() {
		return md.CodeSpan(o.Path)
	}
	return md.Text(o.String())
}

func buildGUCs(in *Input, arg string) (md.Content, error) {
	type column struct {
		st  *model.Stack
		svc *model.Service
	}
	var cols []column
	for _, st := range stacksFor(in.Config, arg) {
		for _, svc := range postgresServices(st) {
			cols = append(cols, column{st, svc})
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no postgres service")
	}
	names := map[string]bool{"port": true}
	hdr := []md.Inline{md.Text("Setting"), md.Text("Base")}
	for _, c := range cols {
		for n := range c.svc.Postgres.Settings {
			names[n] = true
		}
		label := c.st.Key
		if arg != "" || len(postgresServices(c.st)) > 1 {
			label = c.svc.Key
			if arg == "" {
				label = c.st.Key + "/" + c.svc.Key
			}
		}
		hdr = append(hdr, md.CodeSpan(label))
	}
	t := &md.Table{Head: hdr}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		base := md.None
		if v, ok := in.Config.PostgreSQL.Base[n]; ok {
			base = gucCell(v)
		}
		row := []md.Inline{md.CodeSpan(n), base}
		for _, c := range cols {
			row = append(row, stackGUCCell(in.Config, c.svc, n))
		}
		t.Add(row...)
	}
	note := md.Join(md.Text("A value in a stack column is set by that stack's config and wins over the base; "), md.Emph("base"),
		md.Text(" means the stack keeps the base value; "), md.None, md.Text(" means neither sets it and PostgreSQL's own default applies. "),
		md.CodeSpan("port"), md.Text(" comes from the service's "), md.CodeSpan("postgres.port"), md.Text("."))
	return md.Content{t, md.Paragraph(note)}, nil
}

func stackGUCCell(c *model.Config, svc *model.Service, name string) md.Inline {
	if name == "port" {
		return md.CodeSpan(strconv.Itoa(svc.Postgres.Port))
	}
	if v, ok := svc.Postgres.Settings[name]; ok {
		cell := gucCell(v)
		if b, inBase := c.PostgreSQL.Base[name]; inBase && gucCell(b).String() != cell.String() {
			cell = md.Join(cell, md.Text(" (overrides base)"))
		}
		return cell
	}
	if _, ok := c.PostgreSQL.Base[name]; ok {
		return md.Emph("base")
	}
	return md.None
}

// gucCell renders a setting the way postgresql.conf holds it.
func gucCell(v model.GUCValue) md.Inline {
	lit, err := derive.GUCLiteral(v)
	if err != nil {
		return md.Text(err.Error())
	}
	return md.CodeSpan(lit)
}

func buildBaseGUCs(in *Input, _ string) (md.Content, error) {
	t := md.NewTable("Setting", "Value")
	for _, n := range slices.Sorted(maps.Keys(in.Config.PostgreSQL.Base)) {
		t.Add(md.CodeSpan(n), gucCell(in.Config.PostgreSQL.Base[n]))
	}
	return md.Content{t}, nil
}

func buildTuning(in *Input, arg string) (md.Content, error) {
	st := in.Config.Stacks[arg]
	svcs := postgresServices(st)
	if len(svcs) == 0 {
		return nil, fmt.Errorf("stack %s has no postgres service", arg)
	}
	params := autoconfig.FromModel(in.Config)
	hdr := []md.Inline{md.Text("Setting")}
	var names []string
	values := map[string][]string{}
	var inputs []autoconfig.Input
	for i, svc := range svcs {
		ai, err := autoconfig.InputFor(in.Config, svc)
		if err != nil {
			return nil, err
		}
		out, err := params.Compute(ai)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Key, err)
		}
		hdr = append(hdr, md.CodeSpan(svc.Key))
		inputs = append(inputs, ai)
		for _, set := range out.Settings() {
			if _, seen := values[set.Name]; !seen {
				names = append(names, set.Name)
				values[set.Name] = make([]string, len(svcs))
			}
			values[set.Name][i] = set.Value
		}
	}
	t := &md.Table{Head: hdr}
	inputRow := func(name string, f func(i int) md.Inline) {
		row := []md.Inline{md.Text(name)}
		for i := range svcs {
			row = append(row, f(i))
		}
		t.Add(row...)
	}
	inputRow("memory limit", func(i int) md.Inline { return md.CodeSpan(svcs[i].Resources.Memory) })
	inputRow("CPUs seen (limit rounded up)", func(i int) md.Inline {
		return md.Join(md.Text(fmt.Sprintf("%d (limit ", inputs[i].CPUs)), md.CodeSpan(strconv.FormatFloat(svcs[i].Resources.CPUs, 'f', -1, 64)), md.Text(")"))
	})
	inputRow("workload", func(i int) md.Inline { return md.CodeSpan(inputs[i].Workload) })
	inputRow("storage", func(i int) md.Inline { return md.CodeSpan(inputs[i].Storage) })
	for _, n := range names {
		row := []md.Inline{md.CodeSpan(n)}
		for _, v := range values[n] {
			if v == "" {
				row = append(row, md.None)
			} else {
				row = append(row, md.CodeSpan(v))
			}
		}
		t.Add(row...)
	}
	return md.Content{t}, nil
}

// Auto-config tiers: the axes of the tier table. The values come from
// internal/autoconfig, the model of the image's entrypoint.
var (
	tierRAMMB = []int{512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}
	tierCPUs  = []int{1, 2, 4, 8}
)

func buildAutoconfig(in *Input, arg string) (md.Content, error) {
	ac := in.Config.AutoConfig
	workload, from := arg, md.Text("named in the marker")
	if workload == "" {
		workload, from = ac.Defaults.Workload, md.Join(md.Text("the entrypoint's default, "), md.CodeSpan("autoconfig.defaults.workload"), md.Text(" in stacks.cue"))
	}
	// Storage changes only the planner-cost settings, which this table
	// does not show.
	storage := ac.Defaults.Storage
	params := autoconfig.FromModel(in.Config)
	names := []string{"max_connections", "shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem", "wal_buffers",
		"max_worker_processes", "max_parallel_workers", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers", "io_workers"}
	t := md.NewTable("RAM", "CPUs")
	for _, n := range names {
		t.Head = append(t.Head, md.CodeSpan(n))
	}
	for _, ram := range tierRAMMB {
		for _, cpus := range tierCPUs {
			out, err := params.Compute(autoconfig.Input{RAMMB: ram, CPUs: cpus, Workload: workload, Storage: storage})
			if err != nil {
				return nil, err
			}
			vals := map[string]string{}
			for _, set := range out.Settings() {
				vals[set.Name] = set.Value
			}
			row := []md.Inline{md.Text(mb(ram)), md.Text(strconv.Itoa(cpus))}
			for _, n := range names {
				row = append(row, md.Text(vals[n]))
			}
			t.Add(row...)
		}
	}
	intro := md.Join(md.Text("Workload "), md.CodeSpan(workload), md.Text(" ("), from,
		md.Text("). Memory limits are what compose gives the container; CPUs are its limit rounded up."))
	return md.Content{md.Paragraph(intro), t}, nil
}

func buildMetrics(in *Input, _ string) (md.Content, error) {
	t := md.NewTable("Metric", "Type", "Help", "Labels", "Query")
	for _, name := range slices.Sorted(maps.Keys(in.Config.ExporterQueries)) {
		q := in.Config.ExporterQueries[name]
		var labels []string
		for _, m := range q.Metrics {
			if m.Usage == "LABEL" {
				labels = append(labels, m.Column)
			}
		}
		for _, m := range q.Metrics {
			if m.Usage == "LABEL" {
				continue
			}
			t.Add(md.CodeSpan(name+"_"+m.Column), md.Text(strings.ToLower(m.Usage)), md.Text(m.Description), md.CodeList(labels), md.CodeSpan(name))
		}
	}
	return md.Content{t}, nil
}

func buildImages(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Service", "Image", "Tag", "Digest")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, svc := range services(st) {
			img := svc.Image
			var digest md.Inline
			switch d := img.Digest; {
			case d.Literal != nil:
				digest = md.CodeSpan(*d.Literal)
			case d.Default != nil:
				digest = md.Join(md.Text("variable "), md.CodeSpan(d.Var), md.Text(", default "), md.CodeSpan(*d.Default))
			default:
				digest = md.Join(md.Text("required variable "), md.CodeSpan(d.Var))
			}
			t.Add(withStack(all, st, md.CodeSpan(svc.Key), md.CodeSpan(img.Name), md.CodeSpan(img.Tag), digest)...)
		}
	}
	return md.Content{t}, nil
}

// buildDefaults walks the schema's definitions for fields with a default
// (*value): what azagen fills in when stacks.cue leaves a field out.
func buildDefaults(in *Input, _ string) (md.Content, error) {
	if in.Source == nil {
		return nil, fmt.Errorf("no CUE source to read the schema from")
	}
	root := in.Source.Value
	type row struct{ field, value, doc string }
	var rows []row
	it, err := root.Fields(cue.Definitions(true))
	if err != nil {
		return nil, err
	}
	for it.Next() {
		if !it.Selector().IsDefinition() {
			continue
		}
		// Definitions with comprehensions over fields that are not
		// concrete yet (#Service's "if kind == ...") have no kind, but
		// their fields can still be listed.
		fields, err := it.Value().Fields(cue.Optional(true))
		if err != nil {
			continue // not a struct: #Name, #Port, ...
		}
		for fields.Next() {
			if t := fields.Selector().ConstraintType(); t == cue.RequiredConstraint {
				continue
			}
			dv, ok := fields.Value().Default()
			if !ok || dv.Validate(cue.Concrete(true)) != nil {
				continue
			}
			// An open list [...T] also "defaults" to [], which nobody
			// wrote; a list default counts only when marked (*[...] | ...).
			if op, _ := fields.Value().Expr(); op != cue.OrOp && dv.Kind() == cue.ListKind {
				continue
			}
			rows = append(rows, row{
				field: it.Selector().String() + "." + unquoteLabel(fields.Selector().String()),
				value: fmt.Sprint(dv),
				doc:   docComment(fields.Value()),
			})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.field, b.field) })
	t := md.NewTable("Field", "Default", "Schema comment")
	for _, r := range rows {
		doc := md.None
		if r.doc != "" {
			doc = md.Text(r.doc)
		}
		t.Add(md.CodeSpan(r.field), md.CodeSpan(r.value), doc)
	}
	return md.Content{t}, nil
}

func unquoteLabel(s string) string {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "?"), "!")
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// docComment joins the doc comment lines of a field into one sentence.
func docComment(v cue.Value) string {
	var parts []string
	for _, g := range v.Doc() {
		parts = append(parts, strings.Fields(g.Text())...)
	}
	return strings.Join(parts, " ")
}

func buildRules(_ *Input, _ string) (md.Content, error) {
	t := md.NewTable("Rule", "Severity", "Checked on", "What it requires")
	for _, r := range rules.All {
		t.Add(md.CodeSpan(r.ID), md.Text(string(r.Severity)), md.Text(r.Stage.Label()), md.Text(r.Summary))
	}
	return md.Content{t}, nil
}

func buildTables(_ *Input, _ string) (md.Content, error) {
	t := md.NewTable("Table", "Marker name", "What it renders")
	for _, s := range specs() {
		ref := s.name
		switch s.arg {
		case argStack:
			ref += ".<stack>"
		case argOptionalStack:
			ref += "[.<stack>]"
		case argWorkload:
			ref += "[.<workload>]"
		}
		t.Add(md.CodeSpan(s.name), md.CodeSpan(ref), md.Text(s.summary))
	}
	return md.Content{t}, nil
}

func buildServices(in *Input, arg string) (md.Content, error) {
	var out md.Content
	for _, st := range stacksFor(in.Config, arg) {
		intro := md.Join(md.Text("Compose project "), md.CodeSpan(st.Name))
		if arg == "" {
			intro = md.Join(md.CodeSpan(st.Key), md.Text(", compose project "), md.CodeSpan(st.Name))
		}
		if st.Description != "" {
			intro = md.Join(intro, md.Text(": "+st.Description))
		}
		t := md.NewTable("Service", "Kind", "Image", "Memory", "CPUs", "PIDs", "Starts after")
		for _, svc := range services(st) {
			var deps []string
			for _, k := range slices.Sorted(maps.Keys(svc.DependsOn)) {
				deps = append(deps, k+" ("+svc.DependsOn[k]+")")
			}
			t.Add(md.CodeSpan(svc.Key), md.CodeSpan(svc.Kind), md.CodeSpan(svc.Image.Name+":"+svc.Image.Tag), md.CodeSpan(svc.Resources.Memory),
				md.CodeSpan(strconv.FormatFloat(svc.Resources.CPUs, 'f', -1, 64)), md.Text(strconv.Itoa(svc.Resources.Pids)), md.CodeList(deps))
		}
		out = append(out, md.Paragraph(intro), t)
	}
	return out, nil
}

func buildVolumes(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Volume", "Compose name", "Mounted at")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, k := range slices.Sorted(maps.Keys(st.Volumes)) {
			var at []string
			for _, svc := range services(st) {
				for _, m := range svc.Mounts {
					if m.Volume == k {
						at = append(at, svc.Key+":"+m.Target)
					}
				}
			}
			t.Add(withStack(all, st, md.CodeSpan(k), md.CodeSpan(st.Volumes[k].Name), md.CodeList(at))...)
		}
	}
	return md.Content{t}, nil
}

func buildExtensions(in *Input, _ string) (md.Content, error) {
	pg := in.Config.PostgreSQL
	names := map[string]bool{}
	for _, n := range pg.Extensions {
		names[n] = true
	}
	for _, n := range pg.Preload {
		names[n] = true
	}
	yes := func(b bool) md.Inline {
		if b {
			return md.Text("yes")
		}
		return md.Text("no")
	}
	t := md.NewTable("Extension or library", "Created at initdb", "Preloaded")
	for _, n := range slices.Sorted(maps.Keys(names)) {
		t.Add(md.CodeSpan(n), yes(slices.Contains(pg.Extensions, n)), yes(slices.Contains(pg.Preload, n)))
	}
	return md.Content{t}, nil
}

// mb labels a RAM tier, in GB when exact.
func mb(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return strconv.Itoa(n/1024) + "GB"
	}
	return strconv.Itoa(n) + "MB"
}

// buildConnections lists derive.Connections: the TLS mode column is the
// sslmode the rendered DSN, ini, healthcheck or bootstrap holds.
func buildConnections(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Client", "Dials", "Server", "Login", "TLS mode", "Reason", "Purpose")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, c := range derive.Connections(in.Config, st) {
			reason := md.None
			if c.Reason != "" {
				reason = md.Text(c.Reason)
			}
			server := c.Server
			if c.ServerStack != st.Key {
				server = c.ServerStack + "/" + c.Server
			}
			t.Add(withStack(all, st, md.CodeSpan(c.Client), md.CodeSpan(c.Host+":"+strconv.Itoa(c.Port)), md.CodeSpan(server),
				md.Text(c.User+" / "+c.Database), md.CodeSpan(c.Mode()), reason, md.Text(c.Purpose))...)
		}
	}
	return md.Content{t}, nil
}

// backupStacks are the stacks a backup table covers: every one with a backup
// block, or the one named, which gets a row saying it has none.
func backupStacks(c *model.Config, arg string) []*model.Stack {
	if arg != "" {
		return stacksFor(c, arg)
	}
	return slices.DeleteFunc(stacksFor(c, arg), func(st *model.Stack) bool { return st.Backup == nil })
}

// noBackup is the row of a stack without a backup block, cols cells wide.
func noBackup(all bool, st *model.Stack, cols int) []md.Inline {
	cells := []md.Inline{md.Join(md.Text("no "), md.CodeSpan("backup"), md.Text(" block: nothing is backed up"))}
	for len(cells) < cols {
		cells = append(cells, md.None)
	}
	return withStack(all, st, cells...)
}

func buildBackup(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Service", "Stanza", "Repository", "Retention", "Compression", "Encryption")...)
	for _, st := range backupStacks(in.Config, arg) {
		b := st.Backup
		if b == nil {
			t.Add(noBackup(all, st, 6)...)
			continue
		}
		repo := md.Join(md.Text("volume "), md.CodeSpan(b.Repo1.Volume))
		if b.Repo1.HostPath != "" {
			repo = md.Join(md.Text("host path "), md.CodeSpan(b.Repo1.HostPath))
		}
		repo = md.Join(repo, md.Text(" at "), md.CodeSpan(b.Repo1.Path))
		keep := fmt.Sprintf("%d full", b.Retention.Full)
		if b.Retention.Diff > 0 {
			keep += fmt.Sprintf(", %d diff", b.Retention.Diff)
		}
		comp := b.Compress.Type
		if b.Compress.Level != nil {
			comp += fmt.Sprintf(" level %d", *b.Compress.Level)
		}
		enc := md.Text("none")
		if b.Encryption != nil {
			enc = md.Join(md.Text("aes-256-cbc, pass from "), md.CodeSpan(b.Encryption.Pass.Var))
		}
		t.Add(withStack(all, st, md.CodeSpan(b.Service), md.CodeSpan(b.Stanza), repo, md.Text(keep), md.CodeSpan(comp), enc)...)
	}
	return md.Content{t}, nil
}

func buildBackupSchedule(in *Input, arg string) (md.Content, error) {
	all := arg == ""
	t := md.NewTable(head(all, "Type", "Timer", "OnCalendar", "Runs in", "Command")...)
	for _, st := range backupStacks(in.Config, arg) {
		if st.Backup == nil {
			t.Add(noBackup(all, st, 5)...)
			continue
		}
		for _, typ := range model.BackupTypes {
			cal := st.Backup.Schedule.Calendar(typ)
			if cal == "" {
				continue
			}
			t.Add(withStack(all, st, md.Text(typ), md.CodeSpan(model.BackupUnitName(st, typ)+".timer"), md.CodeSpan(cal),
				md.CodeSpan(derive.BackupHostDir(st)), md.CodeSpan(strings.Join(derive.BackupCommand(st, typ), " ")))...)
		}
	}
	return md.Content{t}, nil
}
