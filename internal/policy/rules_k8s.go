package policy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// Rules of the Kubernetes (CloudNativePG) target. They apply to stacks with
// a kubernetes block only; the facts about CNPG they use are in derive.

// eachK8sServer visits the stacks with a Kubernetes target and a server of
// their own (a primary or single server), in stack order.
func (c *checker) eachK8sServer(fn func(st *model.Stack, svc *model.Service, stackPath, svcPath string)) {
	for _, sk := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
		st := c.cfg.Stacks[sk]
		if st.Kubernetes == nil {
			continue
		}
		if svc := derive.CNPGServer(st); svc != nil {
			fn(st, svc, "stacks."+diag.Label(sk), normalize.ServicePath(st, svc))
		}
	}
}

func k8sHbaCIDR(c *checker) {
	c.eachK8sServer(func(st *model.Stack, svc *model.Service, stackPath, svcPath string) {
		if st.Kubernetes.SamenetCIDR != "" {
			return
		}
		for i, h := range svc.Postgres.HBA {
			if h.Address == "samenet" {
				c.report(fmt.Sprintf("%s.postgres.hba[%d].address", svcPath, i),
					"samenet means nothing in a Kubernetes cluster; set %s.kubernetes.samenet_cidr to the pod network the rule admits there, or write a CIDR", stackPath)
			}
		}
	})
}

func k8sImageMajor(c *checker) {
	c.eachK8sServer(func(st *model.Stack, svc *model.Service, stackPath, svcPath string) {
		major, ok := derive.CNPGImageMajor(svc.Image.Tag)
		switch {
		case !ok:
			c.report(svcPath+".image.tag", "tag %q names no PostgreSQL major version; the ImageCatalog needs one (pg18, 18.4-trixie) and CNPG refuses image tags without a version", svc.Image.Tag)
		case major < 10:
			c.report(svcPath+".image.tag", "tag %q names PostgreSQL %d; CNPG's ImageCatalog accepts majors from 10", svc.Image.Tag, major)
		}
	})
}

var secretName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func k8sName(c *checker) {
	c.eachK8sServer(func(st *model.Stack, svc *model.Service, stackPath, svcPath string) {
		if msg := derive.CNPGNameError(st.Name, derive.CNPGMaxNameLen); msg != "" {
			c.report(stackPath+".name", "the stack name is the CloudNativePG Cluster name: %s", msg)
			return
		}
		for _, r := range derive.CNPGManagedRoles(c.cfg, st, svc) {
			if n := derive.CNPGSecretName(st.Name, r.Name); !secretName.MatchString(n) || len(n) > 253 {
				c.report("roles."+diag.Label(r.Name), "role %s is a managed role of Cluster %s, and its password Secret %q would not be a valid Kubernetes name (lower-case letters, digits and '-', ending with a letter or digit)", r.Name, st.Name, n)
			}
		}
	})
}

func k8sPoolMode(c *checker) {
	c.eachK8sServer(func(st *model.Stack, _ *model.Service, _, _ string) {
		for _, key := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[key]
			if svc.PgBouncer != nil && !slices.Contains(derive.CNPGPoolerModes, svc.PgBouncer.PoolMode) {
				c.report(normalize.ServicePath(st, svc)+".pgbouncer.pool_mode", "a CloudNativePG Pooler supports pool_mode %s, not %q", strings.Join(derive.CNPGPoolerModes, " or "), svc.PgBouncer.PoolMode)
			}
		}
	})
}

func k8sReplicaCluster(c *checker) {
	for _, sk := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
		st := c.cfg.Stacks[sk]
		if st.Kubernetes == nil || derive.CNPGServer(st) != nil {
			continue
		}
		path := "stacks." + diag.Label(sk) + ".kubernetes"
		found := false
		for _, ok := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
			other := c.cfg.Stacks[ok]
			p := derive.CNPGServer(other)
			if p == nil || !slices.ContainsFunc(derive.CNPGStandbys(c.cfg, other, p), func(s *model.Stack) bool { return s == st }) {
				continue
			}
			found = true
			if other.Kubernetes.Namespace != st.Kubernetes.Namespace {
				c.report(path+".namespace", "the standbys of this stack are instances of Cluster %s in namespace %q, not %q", other.Name, other.Kubernetes.Namespace, st.Kubernetes.Namespace)
			}
		}
		if !found {
			c.report(path, "this stack has replicas only, and no primary they stream from has a kubernetes block: on Kubernetes its standbys can only be instances of their primary's Cluster")
		}
	}
}

func k8sSettingOwned(c *checker) {
	reported := map[string]bool{}
	c.eachK8sServer(func(st *model.Stack, svc *model.Service, stackPath, svcPath string) {
		if svc.Postgres.Port != 5432 {
			c.report(svcPath+".postgres.port", "CloudNativePG runs PostgreSQL on 5432 and owns port; the Services carry the port clients use")
		}
		params, err := derive.CNPGParameters(c.cfg, svc, svcPath)
		if err != nil {
			return // resource-limits reports an unreadable size
		}
		for _, p := range params {
			if p.Disposition != derive.CNPGRefused || reported[p.Path] {
				continue
			}
			reported[p.Path] = true
			path := p.Path
			if path == "" {
				path = svcPath + ".resources"
			}
			c.report(path, "%s = %q cannot go to CloudNativePG (%s): %s", p.Name, p.Value, stackPath+".kubernetes", p.Reason)
		}
	})
}

func k8sWalLevelMinimal(c *checker) {
	c.eachK8sServer(func(st *model.Stack, svc *model.Service, stackPath, svcPath string) {
		params, err := derive.CNPGParameters(c.cfg, svc, svcPath)
		if err != nil {
			return
		}
		// max_wal_senders 0, which CNPG requires too, is wal-level-senders'
		// rule already: PostgreSQL refuses anything else with minimal.
		var wal derive.CNPGParam
		for _, p := range params {
			if p.Name == "wal_level" {
				wal = p
			}
		}
		if wal.Value != "minimal" {
			return
		}
		var why []string
		if n := derive.CNPGInstances(c.cfg, st, svc); n != 1 {
			why = append(why, fmt.Sprintf("the Cluster has %d instances, not 1", n))
		}
		if !st.Kubernetes.SkipWALArchiving {
			why = append(why, stackPath+".kubernetes.skip_wal_archiving is not set (annotation cnpg.io/skipWalArchiving: enabled)")
		}
		if len(why) > 0 {
			c.report(wal.Path, "CloudNativePG accepts wal_level minimal only with one instance and WAL archiving skipped: %s", strings.Join(why, "; "))
		}
	})
}
