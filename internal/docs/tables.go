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

// tableSpec is one table azagen can render between markers.
type tableSpec struct {
	name    string
	arg     argKind
	summary string
	render  func(in *Input, arg string) (string, error)
}

// specs lists every table, in the order the tables table shows them.
func specs() []tableSpec {
	return []tableSpec{
		{"commands", argNone, "the commands, global flags and exit codes, from the CLI itself", renderCommands},
		{"cli", argNone, "the full CLI reference: every command's help, usage, examples and flags", renderCLI},
		{"services", argOptionalStack, "each stack's description and services: kind, image, limits, dependencies", renderServices},
		{"ports", argOptionalStack, "published ports: host IP, host port, container port, where the service listens in its container, expose reason", renderPorts},
		{"networks", argOptionalStack, "compose networks, their real names and the services on them", renderNetworks},
		{"volumes", argOptionalStack, "named volumes, their real names and where they are mounted", renderVolumes},
		{"env", argOptionalStack, "variables the compose file reads from .env: default, required, used by", renderEnv},
		{"healthchecks", argOptionalStack, "normalized healthchecks, each value with the layer it came from", renderHealthchecks},
		{"gucs", argOptionalStack, "PostgreSQL settings a stack sets, next to the shared base", renderGUCs},
		{"gucs-base", argNone, "every setting of postgresql-base.conf", renderBaseGUCs},
		{"tuning", argStack, "what the image's auto-config computes for a stack's postgres services from their limits", renderTuning},
		{"autoconfig", argWorkload, "auto-config tiers: RAM × CPUs, for the entrypoint's default workload (or the one named)", renderAutoconfig},
		{"extensions", argNone, "extensions created at initdb and libraries preloaded by the image", renderExtensions},
		{"metrics", argNone, "custom postgres_exporter metrics: name, type, help, labels, query", renderMetrics},
		{"backup", argOptionalStack, "pgBackRest of each stack with a backup block: service, stanza, repository, retention, compression, encryption", renderBackup},
		{"backup-schedule", argOptionalStack, "the systemd timers of the backup schedule: calendar and the command each runs", renderBackupSchedule},
		{"images", argOptionalStack, "pinned images: tag and digest", renderImages},
		{"defaults", argNone, "schema defaults: every field azagen fills in when stacks.cue leaves it out", renderDefaults},
		{"rules", argNone, "every rule ID azagen reports", renderRules},
		{"tables", argNone, "this list", renderTables},
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
	out, err := spec.render(in, arg)
	if err != nil {
		return "", &tableError{rules.DocsTable, fmt.Sprintf("table %s: %v", ref, err)}
	}
	return out, nil
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
func withStack(all bool, st *model.Stack, cells ...string) []string {
	if all {
		return append([]string{code(st.Key)}, cells...)
	}
	return cells
}

func head(all bool, cols ...string) []string {
	if all {
		return append([]string{"Stack"}, cols...)
	}
	return cols
}

func renderPorts(in *Input, arg string) (string, error) {
	all := arg == ""
	t := newTable(head(all, "Service", "Host IP", "Host port", "Container port", "Listens in the container", "Expose reason")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, svc := range services(st) {
			for _, p := range derive.SortedPorts(svc.Ports) {
				reason := none
				if p.ExposeReason != "" {
					reason = text(p.ExposeReason)
				}
				t.add(withStack(all, st, code(svc.Key), code(p.HostIP), strconv.Itoa(p.Host), strconv.Itoa(p.Container), listenIn(in.Config, svc), reason)...)
			}
		}
	}
	return t.String(), nil
}

// listenIn is the second binding layer: the address the service itself
// binds inside its container, as azagen renders it.
func listenIn(c *model.Config, svc *model.Service) string {
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
		return code("listen_addresses = " + lit)
	case svc.PgBouncer != nil:
		return code(fmt.Sprintf("listen_addr = %s", svc.PgBouncer.ListenAddr))
	case svc.Exporter != nil:
		return fmt.Sprintf("port %d, every interface", svc.Exporter.ListenPort)
	}
	return none
}

func renderNetworks(in *Input, arg string) (string, error) {
	all := arg == ""
	t := newTable(head(all, "Network", "Compose name", "Created by", "Services")...)
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
			t.add(withStack(all, st, code(k), code(n.Name), created, codeList(users))...)
		}
	}
	return t.String(), nil
}

func renderEnv(in *Input, arg string) (string, error) {
	all := arg == ""
	t := newTable(head(all, "Variable", "Default", "Required", "Used by", "Description")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, v := range derive.Variables(st) {
			def, req := none, "no"
			if v.Default != nil {
				def = code(*v.Default)
			} else {
				req = "yes: " + text(v.Required)
			}
			desc := none
			if v.Doc != "" {
				desc = text(v.Doc)
			}
			t.add(withStack(all, st, code(v.Name), def, req, codeList(v.UsedBy), desc)...)
		}
	}
	return t.String(), nil
}

func renderHealthchecks(in *Input, arg string) (string, error) {
	all := arg == ""
	t := newTable(head(all, "Service", "Setting", "Value", "From")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, svc := range services(st) {
			for _, f := range derive.HealthFields(svc.Health) {
				t.add(withStack(all, st, code(svc.Key), code(f.Name), code(f.Value), origin(f.Origin))...)
			}
		}
	}
	return t.String(), nil
}

// origin renders a layer: CUE paths as code, descriptions as text.
func origin(o model.Origin) string {
	if o.InSource() {
		return code(o.Path)
	}
	return text(o.String())
}

func renderGUCs(in *Input, arg string) (string, error) {
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
		return "", fmt.Errorf("no postgres service")
	}
	names := map[string]bool{"port": true}
	hdr := []string{"Setting", "Base"}
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
		hdr = append(hdr, code(label))
	}
	t := newTable(hdr...)
	for _, n := range slices.Sorted(maps.Keys(names)) {
		base := none
		if v, ok := in.Config.PostgreSQL.Base[n]; ok {
			base = gucCell(v)
		}
		row := []string{code(n), base}
		for _, c := range cols {
			row = append(row, stackGUCCell(in.Config, c.svc, n))
		}
		t.add(row...)
	}
	return t.String() + "\n" + "A value in a stack column is set by that stack's config and wins over the base; _base_ means the stack keeps the base value; " + none + " means neither sets it and PostgreSQL's own default applies. `port` comes from the service's `postgres.port`.\n", nil
}

func stackGUCCell(c *model.Config, svc *model.Service, name string) string {
	if name == "port" {
		return code(strconv.Itoa(svc.Postgres.Port))
	}
	if v, ok := svc.Postgres.Settings[name]; ok {
		cell := gucCell(v)
		if b, inBase := c.PostgreSQL.Base[name]; inBase && gucCell(b) != cell {
			cell += " (overrides base)"
		}
		return cell
	}
	if _, ok := c.PostgreSQL.Base[name]; ok {
		return "_base_"
	}
	return none
}

// gucCell renders a setting the way postgresql.conf holds it.
func gucCell(v model.GUCValue) string {
	lit, err := derive.GUCLiteral(v)
	if err != nil {
		return text(err.Error())
	}
	return code(lit)
}

func renderBaseGUCs(in *Input, _ string) (string, error) {
	t := newTable("Setting", "Value")
	for _, n := range slices.Sorted(maps.Keys(in.Config.PostgreSQL.Base)) {
		t.add(code(n), gucCell(in.Config.PostgreSQL.Base[n]))
	}
	return t.String(), nil
}

func renderTuning(in *Input, arg string) (string, error) {
	st := in.Config.Stacks[arg]
	svcs := postgresServices(st)
	if len(svcs) == 0 {
		return "", fmt.Errorf("stack %s has no postgres service", arg)
	}
	params := autoconfig.FromModel(in.Config)
	hdr := []string{"Setting"}
	var names []string
	values := map[string][]string{}
	var inputs []autoconfig.Input
	for i, svc := range svcs {
		ai, err := autoconfig.InputFor(in.Config, svc)
		if err != nil {
			return "", err
		}
		out, err := params.Compute(ai)
		if err != nil {
			return "", fmt.Errorf("service %s: %w", svc.Key, err)
		}
		hdr = append(hdr, code(svc.Key))
		inputs = append(inputs, ai)
		for _, set := range out.Settings() {
			if _, seen := values[set.Name]; !seen {
				names = append(names, set.Name)
				values[set.Name] = make([]string, len(svcs))
			}
			values[set.Name][i] = set.Value
		}
	}
	t := newTable(hdr...)
	inputRow := func(name string, f func(i int) string) {
		row := []string{name}
		for i := range svcs {
			row = append(row, f(i))
		}
		t.add(row...)
	}
	inputRow("memory limit", func(i int) string { return code(svcs[i].Resources.Memory) })
	inputRow("CPUs seen (limit rounded up)", func(i int) string {
		return fmt.Sprintf("%d (limit %s)", inputs[i].CPUs, code(strconv.FormatFloat(svcs[i].Resources.CPUs, 'f', -1, 64)))
	})
	inputRow("workload", func(i int) string { return code(inputs[i].Workload) })
	inputRow("storage", func(i int) string { return code(inputs[i].Storage) })
	for _, n := range names {
		row := []string{code(n)}
		for _, v := range values[n] {
			if v == "" {
				row = append(row, none)
			} else {
				row = append(row, code(v))
			}
		}
		t.add(row...)
	}
	return t.String(), nil
}

// Auto-config tiers: the axes of the tier table. The values come from
// internal/autoconfig, the model of the image's entrypoint.
var (
	tierRAMMB = []int{512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}
	tierCPUs  = []int{1, 2, 4, 8}
)

func renderAutoconfig(in *Input, arg string) (string, error) {
	ac := in.Config.AutoConfig
	workload, from := arg, "named in the marker"
	if workload == "" {
		workload, from = ac.Defaults.Workload, "the entrypoint's default, "+code("autoconfig.defaults.workload")+" in stacks.cue"
	}
	// Storage changes only the planner-cost settings, which this table
	// does not show.
	storage := ac.Defaults.Storage
	params := autoconfig.FromModel(in.Config)
	names := []string{"max_connections", "shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem", "wal_buffers",
		"max_worker_processes", "max_parallel_workers", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers", "io_workers"}
	hdr := []string{"RAM", "CPUs"}
	for _, n := range names {
		hdr = append(hdr, code(n))
	}
	t := newTable(hdr...)
	for _, ram := range tierRAMMB {
		for _, cpus := range tierCPUs {
			out, err := params.Compute(autoconfig.Input{RAMMB: ram, CPUs: cpus, Workload: workload, Storage: storage})
			if err != nil {
				return "", err
			}
			vals := map[string]string{}
			for _, set := range out.Settings() {
				vals[set.Name] = set.Value
			}
			row := []string{mb(ram), strconv.Itoa(cpus)}
			for _, n := range names {
				row = append(row, vals[n])
			}
			t.add(row...)
		}
	}
	return fmt.Sprintf("Workload %s (%s). Memory limits are what compose gives the container; CPUs are its limit rounded up.\n\n", code(workload), from) + t.String(), nil
}

func renderMetrics(in *Input, _ string) (string, error) {
	t := newTable("Metric", "Type", "Help", "Labels", "Query")
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
			t.add(code(name+"_"+m.Column), strings.ToLower(m.Usage), text(m.Description), codeList(labels), code(name))
		}
	}
	return t.String(), nil
}

func renderImages(in *Input, arg string) (string, error) {
	all := arg == ""
	t := newTable(head(all, "Service", "Image", "Tag", "Digest")...)
	for _, st := range stacksFor(in.Config, arg) {
		for _, svc := range services(st) {
			img := svc.Image
			var digest string
			switch d := img.Digest; {
			case d.Literal != nil:
				digest = code(*d.Literal)
			case d.Default != nil:
				digest = "variable " + code(d.Var) + ", default " + code(*d.Default)
			default:
				digest = "required variable " + code(d.Var)
			}
			t.add(withStack(all, st, code(svc.Key), code(img.Name), code(img.Tag), digest)...)
		}
	}
	return t.String(), nil
}

// renderDefaults walks the schema's definitions for fields with a default
// (*value): what azagen fills in when stacks.cue leaves a field out.
func renderDefaults(in *Input, _ string) (string, error) {
	if in.Source == nil {
		return "", fmt.Errorf("no CUE source to read the schema from")
	}
	root := in.Source.Value
	type row struct{ field, value, doc string }
	var rows []row
	it, err := root.Fields(cue.Definitions(true))
	if err != nil {
		return "", err
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
	t := newTable("Field", "Default", "Schema comment")
	for _, r := range rows {
		doc := none
		if r.doc != "" {
			doc = text(r.doc)
		}
		t.add(code(r.field), code(r.value), doc)
	}
	return t.String(), nil
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

func renderRules(_ *Input, _ string) (string, error) {
	t := newTable("Rule", "Severity", "Checked on", "What it requires")
	for _, r := range rules.All {
		t.add(code(r.ID), string(r.Severity), r.Stage.Label(), text(r.Summary))
	}
	return t.String(), nil
}

func renderTables(_ *Input, _ string) (string, error) {
	t := newTable("Table", "Marker name", "What it renders")
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
		t.add(code(s.name), code(ref), text(s.summary))
	}
	return t.String(), nil
}

func renderServices(in *Input, arg string) (string, error) {
	var b strings.Builder
	for i, st := range stacksFor(in.Config, arg) {
		if i > 0 {
			b.WriteString("\n")
		}
		if arg == "" {
			fmt.Fprintf(&b, "%s, compose project %s", code(st.Key), code(st.Name))
		} else {
			fmt.Fprintf(&b, "Compose project %s", code(st.Name))
		}
		if st.Description != "" {
			b.WriteString(": " + text(st.Description))
		}
		b.WriteString("\n\n")
		t := newTable("Service", "Kind", "Image", "Memory", "CPUs", "PIDs", "Starts after")
		for _, svc := range services(st) {
			var deps []string
			for _, k := range slices.Sorted(maps.Keys(svc.DependsOn)) {
				deps = append(deps, k+" ("+svc.DependsOn[k]+")")
			}
			t.add(code(svc.Key), code(svc.Kind), code(svc.Image.Name+":"+svc.Image.Tag), code(svc.Resources.Memory),
				code(strconv.FormatFloat(svc.Resources.CPUs, 'f', -1, 64)), strconv.Itoa(svc.Resources.Pids), codeList(deps))
		}
		b.WriteString(t.String())
	}
	return b.String(), nil
}

func renderVolumes(in *Input, arg string) (string, error) {
	all := arg == ""
	t := newTable(head(all, "Volume", "Compose name", "Mounted at")...)
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
			t.add(withStack(all, st, code(k), code(st.Volumes[k].Name), codeList(at))...)
		}
	}
	return t.String(), nil
}

func renderExtensions(in *Input, _ string) (string, error) {
	pg := in.Config.PostgreSQL
	names := map[string]bool{}
	for _, n := range pg.Extensions {
		names[n] = true
	}
	for _, n := range pg.Preload {
		names[n] = true
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	t := newTable("Extension or library", "Created at initdb", "Preloaded")
	for _, n := range slices.Sorted(maps.Keys(names)) {
		t.add(code(n), yes(slices.Contains(pg.Extensions, n)), yes(slices.Contains(pg.Preload, n)))
	}
	return t.String(), nil
}

// mb labels a RAM tier, in GB when exact.
func mb(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return strconv.Itoa(n/1024) + "GB"
	}
	return strconv.Itoa(n) + "MB"
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
func noBackup(all bool, st *model.Stack, cols int) []string {
	cells := []string{"no " + code("backup") + " block: nothing is backed up"}
	for len(cells) < cols {
		cells = append(cells, "—")
	}
	return withStack(all, st, cells...)
}

func renderBackup(in *Input, arg string) (string, error) {
	all := arg == ""
	t := newTable(head(all, "Service", "Stanza", "Repository", "Retention", "Compression", "Encryption")...)
	for _, st := range backupStacks(in.Config, arg) {
		b := st.Backup
		if b == nil {
			t.add(noBackup(all, st, 6)...)
			continue
		}
		repo := "volume " + code(b.Repo1.Volume)
		if b.Repo1.HostPath != "" {
			repo = "host path " + code(b.Repo1.HostPath)
		}
		repo += " at " + code(b.Repo1.Path)
		keep := fmt.Sprintf("%d full", b.Retention.Full)
		if b.Retention.Diff > 0 {
			keep += fmt.Sprintf(", %d diff", b.Retention.Diff)
		}
		comp := b.Compress.Type
		if b.Compress.Level != nil {
			comp += fmt.Sprintf(" level %d", *b.Compress.Level)
		}
		enc := "none"
		if b.Encryption != nil {
			enc = "aes-256-cbc, pass from " + code(b.Encryption.Pass.Var)
		}
		t.add(withStack(all, st, code(b.Service), code(b.Stanza), repo, keep, code(comp), enc)...)
	}
	return t.String(), nil
}

func renderBackupSchedule(in *Input, arg string) (string, error) {
	all := arg == ""
	t := newTable(head(all, "Type", "Timer", "OnCalendar", "Runs in", "Command")...)
	for _, st := range backupStacks(in.Config, arg) {
		if st.Backup == nil {
			t.add(noBackup(all, st, 5)...)
			continue
		}
		for _, typ := range model.BackupTypes {
			cal := st.Backup.Schedule.Calendar(typ)
			if cal == "" {
				continue
			}
			t.add(withStack(all, st, typ, code(model.BackupUnitName(st, typ)+".timer"), code(cal),
				code(derive.BackupHostDir(st)), code(strings.Join(derive.BackupCommand(st, typ), " ")))...)
		}
	}
	return t.String(), nil
}
