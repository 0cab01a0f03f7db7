package deps

import "testing"

// Workspaces with a v3 lockfile: a workspace's own nested lodash wins over
// the hoisted one, workspace links are not dependencies, transitive
// packages are listed at the lockfile.
func TestNPMWorkspacesLockV3(t *testing.T) { checkGolden(t, "npm") }

// yarn.lock v1 and berry, and package-lock.json v1 with a nested tree.
func TestYarnAndLockV1(t *testing.T) {
	checkGolden(t, "yarn")
	checkGolden(t, "npmv1")
}
