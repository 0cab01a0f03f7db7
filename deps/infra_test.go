package deps

import "testing"

// require blocks and lines, // indirect, quoted paths, and the three kinds
// of replace: same module at another version, another module, a folder.
func TestGoMod(t *testing.T) { checkGolden(t, "gomod") }

// Multi-stage build with global ARGs, --platform, a digest, a stage used as
// a base and as COPY --from, a registry from an ARG with no default; and
// docker-compose with ${VAR:-default}.
func TestDocker(t *testing.T) { checkGolden(t, "docker") }

// Chart dependencies (a file:// one keeps no repository), values images as
// a map (tag from appVersion when absent, registry and digest) and a string.
func TestHelm(t *testing.T) { checkGolden(t, "helm") }

// SHA pins, tags, an action in a subfolder, a local action, docker://, a
// reusable workflow, job container and service images, a composite action.
func TestActions(t *testing.T) { checkGolden(t, "actions") }

func TestJenkinsfile(t *testing.T) { checkGolden(t, "jenkins") }
