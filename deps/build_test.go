package deps

import "testing"

// A version catalog used through aliases, bundles and plugin aliases (an
// unused entry listed at the catalog), gradle.properties and file
// variables, map notation, a dynamic version fixed by gradle.lockfile, and
// transitive locked entries.
func TestGradleCatalog(t *testing.T) { checkGolden(t, "gradle") }

// requirements.txt (pins, ranges, extras, markers, hashes, options, URLs),
// PEP 621 with optional dependencies and PEP 735 groups, and Poetry with
// groups, inline tables and poetry.lock.
func TestPython(t *testing.T) { checkGolden(t, "python") }
