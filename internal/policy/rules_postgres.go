package policy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/azagen/azagen/internal/autoconfig"
	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
)

// effective returns a server's value of a GUC: its stack setting, else the
// base, else PostgreSQL's default.
func effective(c *model.Config, svc *model.Service, name string, pgDefault string) string {
	if v, ok := svc.Postgres.Settings[name]; ok {
		return derive.GUCText(v)
	}
	if v, ok := c.PostgreSQL.Base[name]; ok {
		return derive.GUCText(v)
	}
	return pgDefault
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func poolWithinLimits(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		pb := svc.PgBouncer
		if pb == nil {
			return
		}
		server := st.Services[pb.Server]
		if server == nil || server.Postgres == nil {
			return // reference-exists reports it
		}
		if pool := derive.TunableMaxInt(pb.Tunables, "default_pool_size", pb.DefaultPoolSize); pool+pb.ReservePoolSize > pb.MaxDBConnections {
			at := ""
			if t := pb.Tunables["default_pool_size"]; t != nil {
				at = fmt.Sprintf("at %s=%d ", t.Name, pool)
			}
			c.report(path+".pgbouncer.default_pool_size", "%sdefault_pool_size %d + reserve_pool_size %d exceeds max_db_connections %d", at, pool, pb.ReservePoolSize, pb.MaxDBConnections)
		}
		if r := c.cfg.Roles[pb.AuthUser]; r != nil && r.ConnectionLimit != nil && *r.ConnectionLimit < 2 {
			c.report("roles."+diag.Label(r.Name)+".connection_limit", "the PgBouncer auth role needs at least 2 connections: one for auth_query, one for the healthcheck")
		}
		// The budget is checked at the server's smallest max_connections
		// over its tunables' ranges.
		var ac autoconfig.Output
		var at derive.Point
		for i, pt := range derive.AutoconfigPoints(c.cfg, st, server, derive.AxisMemory, derive.AxisWorkload) {
			out, err := autoconfig.ForService(c.cfg, pt.Service)
			if err != nil {
				c.report(normalize.ServicePath(st, server)+".resources.memory", "cannot compute max_connections%s: %v", pt.At(), err)
				return
			}
			if i == 0 || out.MaxConnections < ac.MaxConnections {
				ac, at = out, pt
			}
		}
		server = at.Service
		reserved := atoi(effective(c.cfg, server, "superuser_reserved_connections", "3"))
		budget := ac.MaxConnections - reserved
		var others []string
		for _, r := range normalize.ServerRoles(c.cfg, st, server) {
			if r.Name == pb.AuthUser || r.ConnectionLimit == nil {
				continue
			}
			budget -= *r.ConnectionLimit
			others = append(others, fmt.Sprintf("%s %d", r.Name, *r.ConnectionLimit))
		}
		pooled := pb.MaxDBConnections * len(pb.Databases)
		if pooled > budget {
			c.report(path+".pgbouncer.max_db_connections",
				"PgBouncer may open %d server connections (max_db_connections %d × %d databases), but%s %s gets max_connections=%d from its %s memory limit, minus %d reserved for superusers and %s: %d left",
				pooled, pb.MaxDBConnections, len(pb.Databases), at.At(), pb.Server, ac.MaxConnections, server.Resources.Memory, reserved, joinOr(others, "no other clients"), budget)
		}
	})
}

func joinOr(items []string, none string) string {
	if len(items) == 0 {
		return none
	}
	return strings.Join(items, ", ")
}

// primaryOf returns the primary a replica streams from.
func primaryOf(c *model.Config, replica *model.Service) (*model.Stack, *model.Service) {
	for _, sk := range slices.Sorted(maps.Keys(c.Stacks)) {
		st := c.Stacks[sk]
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			if svc.Postgres != nil && slices.Contains(normalize.Replicas(c, st, svc), replica) {
				return st, svc
			}
		}
	}
	return nil, nil
}

func standbyNotBelowPrimary(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if svc.Postgres == nil || svc.Postgres.Role != model.RoleReplica {
			return
		}
		pst, primary := primaryOf(c.cfg, svc)
		if primary == nil {
			return // replica-reaches-primary reports it
		}
		// Every pair of values of the two stacks' tunables: the standby's
		// smallest value against the primary's largest.
		sLo, sOK := extremes(c.cfg, st, svc)
		pLo, pOK := extremes(c.cfg, pst, primary)
		if sOK && pOK {
			sConn, pConn := sLo.minConn, pLo.maxConn
			if sConn.out.MaxConnections < pConn.out.MaxConnections {
				if sConn.pt.Label == "" && pConn.pt.Label == "" {
					c.report(path+".resources.memory", "the standby gets max_connections=%d from its %s memory limit, below the primary's %d (%s/%s, %s): PostgreSQL refuses to run a hot standby with a lower value",
						sConn.out.MaxConnections, svc.Resources.Memory, pConn.out.MaxConnections, pst.Key, primary.Key, primary.Resources.Memory)
				} else {
					c.report(path+".resources.memory", "%s the standby gets max_connections=%d < %d, the primary's (%s/%s)%s: PostgreSQL refuses to run a hot standby with a lower value",
						strings.TrimPrefix(orAt(sConn.pt, "with its "+svc.Resources.Memory+" memory limit"), " "), sConn.out.MaxConnections, pConn.out.MaxConnections, pst.Key, primary.Key, pConn.pt.At())
				}
			}
			sW, pW := sLo.minWorkers, pLo.maxWorkers
			if sW.out.MaxWorkerProcesses < pW.out.MaxWorkerProcesses {
				c.report(path+".resources.cpus", "the standby gets max_worker_processes=%d%s from its cpus limit, below the primary's %d%s", sW.out.MaxWorkerProcesses, sW.pt.At(), pW.out.MaxWorkerProcesses, pW.pt.At())
			}
		}
		for _, g := range []struct{ name, def string }{
			{"max_wal_senders", "10"}, {"max_prepared_transactions", "0"}, {"max_locks_per_transaction", "64"},
		} {
			sv, pv := atoi(effective(c.cfg, svc, g.name, g.def)), atoi(effective(c.cfg, primary, g.name, g.def))
			if sv < pv {
				// Point at whichever side sets the value explicitly, the
				// primary's first: raising it there is the usual cause.
				at := path + ".postgres.settings"
				if _, ok := primary.Postgres.Settings[g.name]; ok {
					at = normalize.ServicePath(pst, primary) + ".postgres.settings." + g.name
				} else if _, ok := svc.Postgres.Settings[g.name]; ok {
					at += "." + g.name
				}
				c.report(at, "the standby %s/%s has %s = %d, below the primary's %d (%s/%s): PostgreSQL refuses to run the standby", st.Key, svc.Key, g.name, sv, pv, pst.Key, primary.Key)
			}
		}
	})
}

func walLevelSenders(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if svc.Postgres == nil {
			return
		}
		level := effective(c.cfg, svc, "wal_level", "replica")
		senders := atoi(effective(c.cfg, svc, "max_wal_senders", "10"))
		slotsSetting := atoi(effective(c.cfg, svc, "max_replication_slots", "10"))
		if level == "minimal" && senders > 0 {
			c.report(path+".postgres.settings.max_wal_senders", "max_wal_senders is %d but wal_level is minimal: PostgreSQL refuses to start (WAL streaming requires wal_level replica or logical)", senders)
		}
		replicas := normalize.Replicas(c.cfg, st, svc)
		if len(replicas) == 0 {
			return
		}
		if level == "minimal" {
			c.report(path+".postgres.settings.wal_level", "%d replica(s) stream from this server, which needs wal_level replica or logical, not minimal", len(replicas))
		}
		// Each standby holds one sender; pg_basebackup -X stream needs two
		// more while a new standby is copied.
		if need := len(replicas) + 2; senders < need {
			c.report(path+".postgres.settings.max_wal_senders", "max_wal_senders is %d; %d replica(s) and a base backup need at least %d", senders, len(replicas), need)
		}
		if slots := normalize.ReplicaSlots(c.cfg, st, svc); slotsSetting < len(slots) {
			c.report(path+".postgres.settings.max_replication_slots", "max_replication_slots is %d but %d slots are declared", slotsSetting, len(slots))
		}
	})
}

func settingNotOverridden(c *checker) {
	check := func(path string, settings map[string]model.GUCValue) {
		for _, name := range slices.Sorted(maps.Keys(settings)) {
			if slices.Contains(autoconfig.Overridden, name) {
				c.report(path+"."+diag.Label(name), "%s is computed by the image's auto-config and passed with -c, which overrides this value; set it through the container's limits or the auto-config variables instead", name)
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

func configLoaded(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if svc.Postgres == nil {
			return
		}
		cmd := strings.Join(svc.Command, " ")
		for _, m := range svc.Mounts {
			var flag string
			switch m.Target {
			case model.ContainerConfPath:
				flag = "config_file=" + m.Target
			case model.ContainerHBAPath:
				flag = "hba_file=" + m.Target
			default:
				continue
			}
			if !strings.Contains(cmd, flag) {
				c.report(path, "%s is mounted at %s but the command never loads it (-c %s)", m.File, m.Target, flag)
			}
		}
	})
}

func hbaLeastPrivilege(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if svc.Postgres == nil {
			return
		}
		for i, r := range svc.Postgres.HBA {
			p := fmt.Sprintf("%s.postgres.hba[%d]", path, i)
			if r.Address == "0.0.0.0/0" || r.Address == "::/0" || strings.HasSuffix(r.Address, "/0") {
				c.report(p+".address", "address %s admits every host; name the network (samenet) or a narrower CIDR", r.Address)
			}
			if r.Method != "scram-sha-256" && r.Method != "reject" {
				c.report(p+".method", "method %s is not allowed: use scram-sha-256", r.Method)
			}
		}
	})
}

func portsAgree(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		var listen int
		switch {
		case svc.Postgres != nil:
			listen = svc.Postgres.Port
		case svc.PgBouncer != nil:
			listen = svc.PgBouncer.ListenPort
		case svc.Exporter != nil:
			listen = svc.Exporter.ListenPort
		default:
			return
		}
		for i, p := range svc.Ports {
			if p.Container != listen {
				c.report(fmt.Sprintf("%s.ports[%d].container", path, i), "container port %d is published, but %s listens on %d", p.Container, svc.Key, listen)
			}
		}
	})
}

func exporterLeastPrivilege(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if svc.Exporter == nil {
			return
		}
		r := c.cfg.Roles[svc.Exporter.Role]
		if r == nil {
			return // reference-exists reports it
		}
		p := path + ".exporter.role"
		switch svc.Kind {
		case model.KindPostgresExporter:
			if r.Superuser || r.Replication {
				c.report(p, "the exporter logs in as %s, a superuser or replication role; use a dedicated monitoring role", r.Name)
			} else if !r.Monitoring {
				c.report(p, "the exporter's role %s is not a monitoring role (monitoring: true grants pg_monitor and nothing else)", r.Name)
			}
		case model.KindPgBouncerExporter:
			target := st.Services[svc.Exporter.Target]
			if target != nil && target.PgBouncer != nil && target.PgBouncer.StatsUser != r.Name {
				c.report(p, "the PgBouncer exporter logs in as %s, but %s's stats_user is %s", r.Name, target.Key, target.PgBouncer.StatsUser)
			}
			if !r.PgBouncerOnly || r.Superuser {
				c.report(p, "the PgBouncer exporter's role %s should exist only in PgBouncer (pgbouncer_only: true), not as a PostgreSQL login", r.Name)
			}
		}
	})
}

// postgresAuxProcesses are the server processes that max_connections and
// max_worker_processes do not count: postmaster, startup or walreceiver,
// checkpointer, background writer, WAL writer, autovacuum launcher,
// logical replication launcher, archiver, slot sync worker, pg_cron's
// launcher; plus the healthcheck's bash, pg_isready and psql.
const postgresAuxProcesses = 13

// postgresPidsLimit refuses a pids limit below the processes the server may
// run: one per connection (max_connections, for the largest workload
// profile an operator may pick in .env), the background workers, the
// autovacuum workers, the WAL senders, the I/O workers and the auxiliary
// processes. At the limit fork() fails, and PostgreSQL refuses
// connections with "could not fork new process for connection".
func postgresPidsLimit(c *checker) {
	c.eachService(func(st *model.Stack, svc *model.Service, path string) {
		if svc.Postgres == nil || svc.Resources.Pids <= 0 {
			return
		}
		// The smallest pids the source allows against the most processes
		// any memory, CPU count and workload it allows can ask for.
		pids, pidsAt := svc.Resources.Pids, ""
		if t := svc.Resources.Tunables["pids"]; t != nil {
			if n, err := strconv.Atoi(t.Min); err == nil {
				pids, pidsAt = n, t.Name+"="+t.Min
			}
		}
		p := autoconfig.FromModel(c.cfg)
		worst, worstWorkload, worstAt, need := autoconfig.Output{}, "", "", 0
		for _, pt := range derive.AutoconfigPoints(c.cfg, st, svc, derive.AxisMemory, derive.AxisCPUs) {
			in, err := autoconfig.InputFor(c.cfg, pt.Service)
			if err != nil {
				return // poolWithinLimits and the schema report bad limits
			}
			for _, w := range autoconfig.Workloads {
				in.Workload = w
				o, err := p.Compute(in)
				if err != nil {
					continue
				}
				n := o.MaxConnections + o.MaxWorkerProcesses + o.IOWorkers +
					atoi(effective(c.cfg, svc, "autovacuum_max_workers", "3")) +
					atoi(effective(c.cfg, svc, "max_wal_senders", "10")) + postgresAuxProcesses
				if n > need {
					worst, worstWorkload, worstAt, need = o, w, pt.Label, n
				}
			}
		}
		if pids < need {
			at := strings.Join(slices.DeleteFunc([]string{pidsAt, worstAt}, func(s string) bool { return s == "" }), ", ")
			if at != "" {
				at = "at " + at + ", "
			}
			c.report(path+".resources.pids", "%spids %d is below the %d processes the server may run (workload %s: max_connections %d, max_worker_processes %d, io_workers %d, autovacuum workers, WAL senders and %d auxiliary processes); at the limit PostgreSQL cannot fork a backend for a new connection",
				at, pids, need, worstWorkload, worst.MaxConnections, worst.MaxWorkerProcesses, worst.IOWorkers, postgresAuxProcesses)
		}
	})
}

type pointOut struct {
	pt  derive.Point
	out autoconfig.Output
}

// bounds are a postgres service's smallest and largest max_connections and
// max_worker_processes over its tunables, with the points that give them.
type bounds struct{ minConn, maxConn, minWorkers, maxWorkers pointOut }

// extremes computes bounds; false when auto-config cannot run at some point
// (pool-within-limits reports it).
func extremes(c *model.Config, st *model.Stack, svc *model.Service) (bounds, bool) {
	var b bounds
	conn, ok := scan(c, derive.AutoconfigPoints(c, st, svc, derive.AxisMemory, derive.AxisWorkload), func(o autoconfig.Output) int { return o.MaxConnections })
	if !ok {
		return b, false
	}
	workers, ok := scan(c, derive.AutoconfigPoints(c, st, svc, derive.AxisCPUs), func(o autoconfig.Output) int { return o.MaxWorkerProcesses })
	b.minConn, b.maxConn, b.minWorkers, b.maxWorkers = conn[0], conn[1], workers[0], workers[1]
	return b, ok
}

// scan returns the points of smallest and largest value; false when
// auto-config cannot run at one of them.
func scan(c *model.Config, pts []derive.Point, value func(autoconfig.Output) int) ([2]pointOut, bool) {
	var mm [2]pointOut
	for i, pt := range pts {
		out, err := autoconfig.ForService(c, pt.Service)
		if err != nil {
			return mm, false
		}
		po := pointOut{pt, out}
		if i == 0 {
			mm = [2]pointOut{po, po}
			continue
		}
		if value(out) < value(mm[0].out) {
			mm[0] = po
		}
		if value(out) > value(mm[1].out) {
			mm[1] = po
		}
	}
	return mm, true
}

// orAt is "at LABEL" for a point with tunables, else alt.
func orAt(p derive.Point, alt string) string {
	if p.Label == "" {
		return alt
	}
	return "at " + p.Label
}
