package plan_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The planner and the loader stay pure: they read no git, call no registry
// and know no driver (STYLE.md: cmd -> runner -> plan -> policy -> schemas).
func TestDependenciesPointOneWay(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "../plan", "../plan/state", "../plan/version", "../plan/render", "../policy", "../schemas").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/go-git/", "github.com/google/go-containerregistry", "github.com/patchwave/patchwave/runner", "github.com/patchwave/patchwave/cmd"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("a pure package depends on %s", dep)
			}
		}
	}
}
