package integration

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azagen/azagen/internal/testing/oracle"
)

// TestBackupUnitsVerify checks every rendered systemd unit of the backup schedule with systemd
// 262's own parser: `systemd-analyze verify` over each service and timer (which also requires
// the docker CLI the services run to exist), and `systemd-analyze calendar` over each timer's
// OnCalendar line, read back from the rendered file. A timer whose calendar is corrupted must
// fail verify, so a pass means verify looked.
func TestBackupUnitsVerify(t *testing.T) {
	oracle.Require(t, oracle.ToolSystemdAnalyze)
	res := compileStacks(t)
	dir := oracle.TempDir(t)
	var units, calendars []string
	for p, f := range res.Output {
		if path.Base(path.Dir(p)) != "systemd" {
			continue
		}
		dst := filepath.Join(dir, path.Base(p))
		if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		units = append(units, dst)
		for line := range strings.Lines(string(f.Data)) {
			if cal, ok := strings.CutPrefix(strings.TrimSpace(line), "OnCalendar="); ok {
				calendars = append(calendars, cal)
			}
		}
	}
	slices.Sort(units)
	if len(units) == 0 || len(calendars) == 0 {
		t.Fatalf("rendered %d units with %d calendars; stacks.cue schedules backups of the primary", len(units), len(calendars))
	}
	out, err := runCommandOut(oracle.Command(t, "", nil, append([]string{"systemd-analyze", "verify"}, units...)...), time.Minute)
	if err != nil {
		t.Fatalf("systemd-analyze verify %v: %v\n%s", units, err, out)
	}
	t.Logf("systemd-analyze verify: %d units pass", len(units))
	for _, cal := range calendars {
		out, err := runCommandOut(oracle.Command(t, "", nil, "systemd-analyze", "calendar", cal), time.Minute)
		if err != nil || !strings.Contains(out, "Next elapse:") {
			t.Errorf("systemd-analyze calendar %q: %v\n%s", cal, err, out)
			continue
		}
		t.Logf("calendar %q:\n%s", cal, out)
	}

	// Negative control: the same timer with its calendar broken.
	var timer string
	for _, u := range units {
		if strings.HasSuffix(u, ".timer") {
			timer = u
			break
		}
	}
	data, err := os.ReadFile(timer)
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken-"+filepath.Base(timer))
	var b strings.Builder
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(line, "OnCalendar=") {
			line = "OnCalendar=Sunday at one\n"
		}
		b.WriteString(line)
	}
	if err := os.WriteFile(broken, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runCommandOut(oracle.Command(t, "", nil, "systemd-analyze", "verify", broken), time.Minute); err == nil {
		t.Errorf("systemd-analyze verify accepted a timer with OnCalendar=Sunday at one:\n%s", out)
	}
}
