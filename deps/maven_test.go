package deps

import "testing"

// A parent outside the tree, a parent found by the default and an explicit
// relativePath, properties overridden by a child, project.* references, a
// BOM module imported by the parent, plugin management and a version range.
func TestMavenMultiModule(t *testing.T) { checkGolden(t, "maven") }
