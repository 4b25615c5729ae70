// Package k8s renders the CloudNativePG target of the stacks: for every stack
// with a kubernetes block, generated/k8s/<stack>/ holds an ImageCatalog, a
// Cluster, a rw Pooler, the custom-queries ConfigMap, PodMonitors for the
// cluster and the pooler, an example of the Secrets the manifests name (keys,
// never values) and NOTES.md, the list of what the compose stack has and the
// manifests do not carry. It is the second renderer family beside the compose
// one: it reads the model and internal/derive only, so the two families can
// only agree through the source.
//
// Facts about CNPG (its owned parameters, the Pooler's allowed parameters,
// name limits) are from CloudNativePG v1.30.1 and live in derive, where
// policy reads them too.
package k8s

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/yamlnode"
)

// API versions of the rendered kinds (CRDs of CloudNativePG v1.30.1 and
// prometheus-operator v0.94.0).
const (
	cnpgAPI       = "postgresql.cnpg.io/v1"
	cnpgGroup     = "postgresql.cnpg.io"
	monitoringAPI = "monitoring.coreos.com/v1"
	// queriesKey is the ConfigMap key of the custom queries.
	queriesKey = "queries.yaml"
	// MetricsPort is the port name CNPG gives the exporter of instances
	// (9187) and of poolers (9127).
	metricsPort = "metrics"
)

// Object is one rendered Kubernetes object: the file it is written to, its
// kind and name, its YAML and, for the fields that come from a value in the
// source, the CUE path of that value keyed by the field path as the API
// server reports it (spec.instances, metadata.name). Tests use Origins to
// match the API server's reason for refusing an object with azagen's
// position for the same input.
type Object struct {
	File    string
	Kind    string
	Name    string
	Node    *yaml.Node
	Origins map[string]string
	// Comment is written above the document.
	Comment string
}

// Note is one line of NOTES.md: a source field and what became of it.
type Note struct {
	Path string // CUE path
	Text string
}

// Stack is the rendered target of one stack.
type Stack struct {
	Key     string
	Objects []Object
	Notes   []Note
}

// Files renders every stack's target.
func Files(cfg *model.Config) ([]output.File, error) {
	var out []output.File
	for _, sk := range slices.Sorted(maps.Keys(cfg.Stacks)) {
		st := cfg.Stacks[sk]
		if st.Kubernetes == nil {
			continue
		}
		r, err := Render(cfg, st)
		if err != nil {
			return nil, err
		}
		files, err := r.Files()
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}

// Files encodes the objects, grouped by file in the order rendered, and the
// note.
func (r *Stack) Files() ([]output.File, error) {
	var order []string
	byFile := map[string][]*yaml.Node{}
	for _, o := range r.Objects {
		if _, ok := byFile[o.File]; !ok {
			order = append(order, o.File)
		}
		doc := o.Node
		if o.Comment != "" {
			doc = &yaml.Node{Kind: yaml.DocumentNode, HeadComment: o.Comment, Content: []*yaml.Node{o.Node}}
		}
		byFile[o.File] = append(byFile[o.File], doc)
	}
	var out []output.File
	for _, p := range order {
		data, err := yamlnode.Encode(output.HashComment(), byFile[p]...)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", p, err)
		}
		out = append(out, output.File{Path: p, Data: data})
	}
	return append(out, output.File{Path: model.K8sNotesPath(r.Key), Data: r.notes()}), nil
}

// Render builds the objects of one stack. A stack of replicas only renders
// no objects: its standbys are instances of their primary's Cluster.
func Render(cfg *model.Config, st *model.Stack) (*Stack, error) {
	r := &Stack{Key: st.Key}
	k := st.Kubernetes
	sp := "stacks." + diag.Label(st.Key)
	kp := sp + ".kubernetes"
	svc := derive.CNPGServer(st)
	if svc == nil {
		r.replicaNotes(cfg, st)
		return r, nil
	}
	name := st.Name
	svcPath := normalize.ServicePath(st, svc)
	meta := func(objName string, origins map[string]string) node {
		origins["metadata.name"] = sp + ".name"
		origins["metadata.namespace"] = kp + ".namespace"
		origins["metadata.labels"] = sp + ".name"
		return obj().Set("name", str(objName)).Set("namespace", str(k.Namespace)).
			Set("labels", obj().Set("app.kubernetes.io/name", str(objName)).Set("app.kubernetes.io/part-of", str(name)).Set("app.kubernetes.io/managed-by", str("azagen")).Node)
	}

	// ImageCatalog
	major, _ := derive.CNPGImageMajor(svc.Image.Tag)
	{
		o := map[string]string{"spec.images[0].major": svcPath + ".image.tag", "spec.images[0].image": svcPath + ".image"}
		img := svc.Image.Name + ":" + svc.Image.Tag
		if svc.Image.Digest.IsLiteral() {
			img += "@" + *svc.Image.Digest.Literal
		}
		r.Objects = append(r.Objects, Object{File: model.K8sImageCatalogPath(st.Key), Kind: "ImageCatalog", Name: name, Origins: o,
			Node: obj().Set("apiVersion", str(cnpgAPI)).Set("kind", str("ImageCatalog")).Set("metadata", meta(name, o).Node).
				Set("spec", obj().Set("images", yamlnode.Seq(obj().Set("major", yamlnode.Int(int64(major))).Set("image", str(img)).Node)).Node).Node})
		if !svc.Image.Digest.IsLiteral() {
			r.Notes = append(r.Notes, Note{svcPath + ".image.digest", fmt.Sprintf("the digest comes from %s in compose; the ImageCatalog names the tag only. Pin it (kustomize `images`, or edit the image to name:tag@sha256:...) before you apply.", derive.VarName("", svc.Image.Digest))})
		}
	}

	cluster, err := r.cluster(cfg, st, svc, meta)
	if err != nil {
		return nil, err
	}
	r.Objects = append(r.Objects, cluster...)
	r.pooler(st, meta)
	r.podMonitors(st, meta)
	r.composeOnly(cfg, st)
	return r, nil
}

func (r *Stack) cluster(cfg *model.Config, st *model.Stack, svc *model.Service, meta func(string, map[string]string) node) ([]Object, error) {
	k := st.Kubernetes
	name := st.Name
	sp := "stacks." + diag.Label(st.Key)
	kp := sp + ".kubernetes"
	svcPath := normalize.ServicePath(st, svc)
	o := map[string]string{
		"spec.instances":             kp + ".instances",
		"spec.imageCatalogRef.major": svcPath + ".image.tag",
		"spec.postgresUID":           kp + ".postgres_uid",
		"spec.postgresGID":           kp + ".postgres_gid",
		"spec.storage.size":          kp + ".storage.size",
		"spec.storage.storageClass":  kp + ".storage.class",
	}
	m := meta(name, o)
	if k.SkipWALArchiving {
		o["metadata.annotations"] = kp + ".skip_wal_archiving"
		m.Set("annotations", obj().Set("cnpg.io/skipWalArchiving", str("enabled")).Node)
	}
	spec := obj()
	if st.Description != "" {
		spec.Set("description", str(st.Description))
	}
	major, _ := derive.CNPGImageMajor(svc.Image.Tag)
	spec.Set("instances", yamlnode.Int(int64(derive.CNPGInstances(cfg, st, svc))))
	spec.Set("imageCatalogRef", obj().Set("apiGroup", str(cnpgGroup)).Set("kind", str("ImageCatalog")).
		Set("name", str(name)).Set("major", yamlnode.Int(int64(major))).Node)
	spec.Set("postgresUID", yamlnode.Int(k.PostgresUID)).Set("postgresGID", yamlnode.Int(k.PostgresGID))

	// postgresql
	params, err := derive.CNPGParameters(cfg, svc, svcPath)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", model.K8sClusterPath(st.Key), err)
	}
	pm := obj()
	for _, p := range params {
		switch p.Disposition {
		case derive.CNPGKeep:
			pm.Set(p.Name, str(p.Value))
			if p.Path != "" {
				o["spec.postgresql.parameters."+p.Name] = p.Path
			}
		case derive.CNPGDropped, derive.CNPGRefused:
			r.Notes = append(r.Notes, Note{p.Path, fmt.Sprintf("`%s = %s` is not written: %s.", p.Name, p.Value, p.Reason)})
		case derive.CNPGMoved:
			r.Notes = append(r.Notes, Note{p.Path, fmt.Sprintf("`%s` moves to spec.postgresql.shared_preload_libraries.", p.Name)})
		}
	}
	pg := obj().Set("parameters", pm.Node).Set("shared_preload_libraries", strs(derive.CNPGPreload(cfg)))
	var hba []string
	for i, h := range svc.Postgres.HBA {
		addr := h.Address
		if addr == "samenet" {
			addr = k.SamenetCIDR
		}
		o[fmt.Sprintf("spec.postgresql.pg_hba[%d]", i)] = fmt.Sprintf("%s.postgres.hba[%d]", svcPath, i)
		hba = append(hba, strings.Join([]string{"host", h.Database, h.User, addr, h.Method}, " "))
	}
	if len(hba) > 0 {
		pg.Set("pg_hba", strs(hba))
	}
	spec.Set("postgresql", pg.Node)

	// bootstrap: the image's initdb script that creates the extensions
	// never runs under CNPG; postInitSQL does the same in the postgres
	// database.
	var sqls []string
	for _, e := range cfg.PostgreSQL.Extensions {
		if e == "plpgsql" {
			continue // built in
		}
		sqls = append(sqls, "CREATE EXTENSION IF NOT EXISTS "+quoteIdent(e))
	}
	if len(sqls) > 0 {
		spec.Set("bootstrap", obj().Set("initdb", obj().Set("postInitSQL", strs(sqls)).Node).Node)
	}

	// roles
	var secrets []Object
	if su := normalize.Superuser(cfg); su != nil {
		sec := derive.CNPGSecretName(name, "superuser")
		spec.Set("enableSuperuserAccess", yamlnode.Bool(true)).Set("superuserSecret", obj().Set("name", str(sec)).Node)
		secrets = append(secrets, secretExample(st, sec, su, meta, sp))
	}
	roles := derive.CNPGManagedRoles(cfg, st, svc)
	if len(roles) > 0 {
		list := yamlnode.Seq()
		for i, role := range roles {
			sec := derive.CNPGSecretName(name, role.Name)
			rm := obj().Set("name", str(role.Name)).Set("ensure", str("present")).Set("login", yamlnode.Bool(true)).
				Set("superuser", yamlnode.Bool(false))
			if role.ConnectionLimit != nil {
				rm.Set("connectionLimit", yamlnode.Int(int64(*role.ConnectionLimit)))
			}
			if role.Monitoring {
				rm.Set("inRoles", strs([]string{"pg_monitor"}))
			}
			rm.Set("passwordSecret", obj().Set("name", str(sec)).Node)
			list.Content = append(list.Content, rm.Node)
			o[fmt.Sprintf("spec.managed.roles[%d].name", i)] = "roles." + diag.Label(role.Name)
			secrets = append(secrets, secretExample(st, sec, role, meta, "roles."+diag.Label(role.Name)))
		}
		spec.Set("managed", obj().Set("roles", list).Node)
	}

	// monitoring
	cmName := name + "-monitoring"
	if len(cfg.ExporterQueries) > 0 {
		spec.Set("monitoring", obj().Set("customQueriesConfigMap", yamlnode.Seq(obj().Set("name", str(cmName)).Set("key", str(queriesKey)).Node)).Node)
	}

	// resources, storage, affinity
	res, err := resources(svc.Resources)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", model.K8sClusterPath(st.Key), err)
	}
	o["spec.resources.limits.memory"] = svcPath + ".resources.memory"
	o["spec.resources.requests.memory"] = svcPath + ".resources.memory_reservation"
	o["spec.resources.limits.cpu"] = svcPath + ".resources.cpus"
	spec.Set("resources", res)
	storage := obj().Set("size", str(k.Storage.Size))
	if k.Storage.Class != "" {
		storage.Set("storageClass", str(k.Storage.Class))
	}
	spec.Set("storage", storage.Node)
	aff := obj()
	if k.AntiAffinity == "none" {
		aff.Set("enablePodAntiAffinity", yamlnode.Bool(false))
	} else {
		aff.Set("enablePodAntiAffinity", yamlnode.Bool(true)).Set("podAntiAffinityType", str(k.AntiAffinity)).
			Set("topologyKey", str("kubernetes.io/hostname"))
	}
	spec.Set("affinity", aff.Node)

	objs := []Object{{File: model.K8sClusterPath(st.Key), Kind: "Cluster", Name: name, Origins: o,
		Node: obj().Set("apiVersion", str(cnpgAPI)).Set("kind", str("Cluster")).Set("metadata", m.Node).Set("spec", spec.Node).Node}}
	if len(cfg.ExporterQueries) > 0 {
		co := map[string]string{"data." + queriesKey: "exporter_queries"}
		q, err := queries(cfg)
		if err != nil {
			return nil, err
		}
		objs = append(objs, Object{File: model.K8sMonitoringPath(st.Key), Kind: "ConfigMap", Name: cmName, Origins: co,
			Node: obj().Set("apiVersion", str("v1")).Set("kind", str("ConfigMap")).Set("metadata", meta(cmName, co).Node).
				Set("data", obj().Set(queriesKey, literal(q)).Node).Node})
	}
	return append(objs, secrets...), nil
}

// secretExample is a basic-auth Secret as CNPG reads it, with the keys it
// needs and an empty password: the value comes from the variable the
// compose stack reads, and never belongs in a file.
func secretExample(st *model.Stack, secName string, role *model.Role, meta func(string, map[string]string) node, origin string) Object {
	o := map[string]string{}
	m := meta(secName, o)
	o["metadata.name"] = origin
	data := obj().Set("username", str(role.Name)).
		SetComment("password", "set from "+role.PasswordVar+"; never commit the value", str(""))
	return Object{File: model.K8sSecretsExamplePath(st.Key), Kind: "Secret", Name: secName, Origins: o,
		Node: obj().Set("apiVersion", str("v1")).Set("kind", str("Secret")).Set("metadata", m.Node).
			Set("type", str("kubernetes.io/basic-auth")).Set("stringData", data.Node).Node}
}

func (r *Stack) pooler(st *model.Stack, meta func(string, map[string]string) node) {
	name := st.Name
	kp := "stacks." + diag.Label(st.Key) + ".kubernetes"
	for _, key := range slices.Sorted(maps.Keys(st.Services)) {
		svc := st.Services[key]
		if svc.PgBouncer == nil {
			continue
		}
		pb := svc.PgBouncer
		path := normalize.ServicePath(st, svc)
		pname := derive.CNPGPoolerName(name)
		o := map[string]string{
			"spec.pgbouncer.poolMode": path + ".pgbouncer.pool_mode",
			"spec.instances":          kp + ".pooler_instances",
			"spec.cluster.name":       "stacks." + diag.Label(st.Key) + ".name",
		}
		m := meta(pname, o)
		o["metadata.name"] = "stacks." + diag.Label(st.Key) + ".name"
		kept, dropped := derive.CNPGPoolerParameters(pb)
		params := obj()
		for _, s := range kept {
			params.Set(s.Key, str(s.Value))
		}
		for _, s := range dropped {
			r.Notes = append(r.Notes, Note{path + ".pgbouncer", fmt.Sprintf("PgBouncer `%s = %s` is not written: CNPG's Pooler owns it (own listener on 5432, own auth user cnpg_pooler_pgbouncer and auth_query, own admin and stats logins).", s.Key, s.Value)})
		}
		spec := obj().Set("cluster", obj().Set("name", str(name)).Node).
			Set("instances", yamlnode.Int(int64(st.Kubernetes.PoolerInstances))).
			Set("type", str("rw")).
			Set("pgbouncer", obj().Set("poolMode", str(pb.PoolMode)).Set("parameters", params.Node).Node)
		// The pgbouncer service's limits go to the container CNPG names
		// pgbouncer in the Pooler's pod template.
		if res, err := resources(svc.Resources); err == nil {
			o["spec.template.spec.containers[0].resources"] = path + ".resources"
			spec.Set("template", obj().Set("spec", obj().Set("containers", yamlnode.Seq(
				obj().Set("name", str("pgbouncer")).Set("resources", res).Node)).Node).Node)
		}
		r.Objects = append(r.Objects, Object{File: model.K8sPoolerPath(st.Key), Kind: "Pooler", Name: pname, Origins: o,
			Node: obj().Set("apiVersion", str(cnpgAPI)).Set("kind", str("Pooler")).Set("metadata", m.Node).Set("spec", spec.Node).Node})
		return // one rw Pooler per Cluster; a second pgbouncer is noted below
	}
}

func (r *Stack) podMonitors(st *model.Stack, meta func(string, map[string]string) node) {
	name := st.Name
	kp := "stacks." + diag.Label(st.Key) + ".kubernetes"
	mon := func(monName, label, value string) {
		o := map[string]string{"spec.podMetricsEndpoints[0].interval": kp + ".scrape_interval"}
		m := meta(monName, o)
		spec := obj().Set("selector", obj().Set("matchLabels", obj().Set(label, str(value)).Node).Node).
			Set("podMetricsEndpoints", yamlnode.Seq(obj().Set("port", str(metricsPort)).Set("interval", str(st.Kubernetes.ScrapeInterval)).Node))
		r.Objects = append(r.Objects, Object{File: model.K8sPodMonitorsPath(st.Key), Kind: "PodMonitor", Name: monName, Origins: o,
			Node: obj().Set("apiVersion", str(monitoringAPI)).Set("kind", str("PodMonitor")).Set("metadata", m.Node).Set("spec", spec.Node).Node})
	}
	mon(name, "cnpg.io/cluster", name)
	for _, svc := range st.Services {
		if svc.PgBouncer != nil {
			p := derive.CNPGPoolerName(name)
			mon(p, "cnpg.io/poolerName", p)
			break
		}
	}
}

// resources maps compose limits to Kubernetes: memory and cpus become
// limits, memory_reservation and cpus the requests (compose has no cpu
// reservation; a request equal to the limit gives the Guaranteed QoS class
// when the memory request equals its limit too).
func resources(res model.Resources) (*yaml.Node, error) {
	mem, err := quantity(res.Memory)
	if err != nil {
		return nil, err
	}
	cpu := cpuQuantity(res.CPUs)
	req := obj().Set("cpu", str(cpu))
	if res.MemoryReservation != "" {
		rm, err := quantity(res.MemoryReservation)
		if err != nil {
			return nil, err
		}
		req.Set("memory", str(rm))
	} else {
		req.Set("memory", str(mem))
	}
	return obj().Set("limits", obj().Set("cpu", str(cpu)).Set("memory", str(mem)).Node).Set("requests", req.Node).Node, nil
}

// quantity converts a Compose byte size, whose units are binary (64m is
// 64 MiB), to a Kubernetes quantity.
func quantity(size string) (string, error) {
	s := strings.ToLower(size)
	num := strings.TrimRight(s, "bkmg")
	if _, err := strconv.Atoi(num); err != nil {
		return "", fmt.Errorf("invalid size %q", size)
	}
	switch s[len(num):] {
	case "g", "gb":
		return num + "Gi", nil
	case "m", "mb":
		return num + "Mi", nil
	case "k", "kb":
		return num + "Ki", nil
	case "b", "":
		return num, nil
	}
	return "", fmt.Errorf("invalid size %q", size)
}

// cpuQuantity writes cpus as whole CPUs or millicores.
func cpuQuantity(cpus float64) string {
	milli := int64(cpus*1000 + 0.5)
	if milli%1000 == 0 {
		return strconv.FormatInt(milli/1000, 10)
	}
	return strconv.FormatInt(milli, 10) + "m"
}

func quoteIdent(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == "" && (s[0] < '0' || s[0] > '9') {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// queries renders the custom queries in the format CNPG's exporter reads
// (postgres_exporter's, with runonserver for a minimum server version).
func queries(cfg *model.Config) (string, error) {
	root := obj()
	for _, name := range slices.Sorted(maps.Keys(cfg.ExporterQueries)) {
		q := cfg.ExporterQueries[name]
		metrics := yamlnode.Seq()
		for _, m := range q.Metrics {
			metrics.Content = append(metrics.Content, obj().Set(m.Column,
				obj().Set("usage", str(m.Usage)).Set("description", str(m.Description)).Node).Node)
		}
		entry := obj().Set("query", str(q.Query))
		if q.MinVersion > 0 {
			entry.Set("runonserver", str(fmt.Sprintf(">=%d.0.0", q.MinVersion)))
		}
		entry.Set("metrics", metrics)
		root.SetComment(name, q.Help, entry.Node)
	}
	data, err := yamlnode.Encode("", root.Node)
	return string(data), err
}
