// Package policy holds the rules azagen checks over the whole model after
// normalization: rules that need more than one field, one service or one
// stack, which CUE constraints cannot express with a useful position. Every
// finding has a stable rule ID, a severity, a position and a message.
package policy

import (
	"fmt"
	"maps"
	"slices"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/rules"
)

// checks pairs each policy rule of the catalogue with the function that
// checks it, in rule ID order (the order findings of equal position keep).
var checks = []struct {
	id    string
	check func(*checker)
}{
	{rules.ArchiveWalLevel, archiveWalLevel},
	{rules.BackupPg1Path, backupPg1Path},
	{rules.BackupRepoMounted, backupRepoMounted},
	{rules.BackupRepoNotData, backupRepoNotData},
	{rules.BackupRetentionFull, backupRetentionFull},
	{rules.BackupScheduleFull, backupScheduleFull},
	{rules.BackupService, backupService},
	{rules.ComposeLiteral, composeLiteralPaths},
	{rules.ConfigLoaded, configLoaded},
	{rules.EnvDerivedClash, envDerivedClash},
	{rules.EnvMessageSafe, envMessageSafe},
	{rules.EnvVariableConsistent, envVariableConsistent},
	{rules.ExporterLeastPrivilege, exporterLeastPrivilege},
	{rules.ExporterNamesOwned, exporterNamesOwned},
	{rules.ExporterQueryColumns, exporterQueryColumns},
	{rules.ExporterQueryResolves, exporterQueryResolves},
	{rules.ExporterQueryVersion, exporterQueryVersion},
	{rules.GucValid, gucValid},
	{rules.HbaLeastPrivilege, hbaLeastPrivilege},
	{rules.HealthcheckConsistent, healthcheckConsistent},
	{rules.HealthcheckTiming, healthcheckTiming},
	{rules.HostPortUnique, hostPortUnique},
	{rules.K8sHbaCIDR, k8sHbaCIDR},
	{rules.K8sImageMajor, k8sImageMajor},
	{rules.K8sName, k8sName},
	{rules.K8sPoolMode, k8sPoolMode},
	{rules.K8sReplicaCluster, k8sReplicaCluster},
	{rules.K8sSettingOwned, k8sSettingOwned},
	{rules.K8sWalLevelMinimal, k8sWalLevelMinimal},
	{rules.LeastCapabilities, leastCapabilities},
	{rules.ListenAdmitsPeers, listenAdmitsPeers},
	{rules.MountImageLayout, mountImageLayout},
	{rules.PgBouncerFDLimit, pgbouncerFDLimit},
	{rules.PoolWithinLimits, poolWithinLimits},
	{rules.PortsAgree, portsAgree},
	{rules.PostgresPidsLimit, postgresPidsLimit},
	{rules.PublishLoopback, publishLoopback},
	{rules.ReadOnlyRootfs, readOnlyRootfs},
	{rules.ReferenceExists, referenceExists},
	{rules.ReplicaReachesPrimary, replicaReachesPrimary},
	{rules.ReservationWithinLimit, reservationWithinLimit},
	{rules.ResourceLimits, resourceLimits},
	{rules.SettingNotOverridden, settingNotOverridden},
	{rules.StacksPresent, stacksPresent},
	{rules.StandbyNotBelowPrimary, standbyNotBelowPrimary},
	{rules.SuperuserIdentity, superuserIdentity},
	{rules.TLSMinProtocol, tlsMinProtocol},
	{rules.TLSVerifyFull, tlsVerifyFull},
	{rules.TunableRange, tunableRange},
	{rules.VolumeNameUnique, volumeNameUnique},
	{rules.WalLevelSenders, walLevelSenders},
}

type checker struct {
	cfg   *model.Config
	pos   normalize.Positioner
	rule  rules.Rule
	diags diag.List
}

func (c *checker) report(path, format string, args ...any) {
	c.diags = append(c.diags, diag.Diagnostic{
		Rule:     c.rule.ID,
		Severity: c.rule.Severity,
		Pos:      c.pos.Pos(path),
		Path:     path,
		Message:  fmt.Sprintf(format, args...),
	})
}

// reportAt is report with a position inside the string at path: offset is a byte offset into
// the string's value. Positioners that cannot look into strings give the string's position.
func (c *checker) reportAt(path string, offset int, format string, args ...any) {
	c.report(path, format, args...)
	if sp, ok := c.pos.(stringPositioner); ok && offset >= 0 {
		c.diags[len(c.diags)-1].Pos = sp.StringPos(path, offset)
	}
}

// stringPositioner is a Positioner that can point inside a string literal (load.Source).
type stringPositioner interface {
	StringPos(path string, offset int) diag.Position
}

// Check runs every rule over a normalized model.
func Check(cfg *model.Config, pos normalize.Positioner) diag.List {
	var out diag.List
	for _, ck := range checks {
		c := &checker{cfg: cfg, pos: pos, rule: rules.Get(ck.id)}
		ck.check(c)
		out = append(out, c.diags...)
	}
	out.Sort()
	return out
}

// eachService visits services in a stable order.
func (c *checker) eachService(fn func(st *model.Stack, svc *model.Service, path string)) {
	for _, sk := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
		st := c.cfg.Stacks[sk]
		for _, name := range slices.Sorted(maps.Keys(st.Services)) {
			svc := st.Services[name]
			fn(st, svc, normalize.ServicePath(st, svc))
		}
	}
}

func (c *checker) eachStack(fn func(st *model.Stack, path string)) {
	for _, sk := range slices.Sorted(maps.Keys(c.cfg.Stacks)) {
		fn(c.cfg.Stacks[sk], "stacks."+diag.Label(sk))
	}
}
