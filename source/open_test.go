package source

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSHA256Refused: a SHA-256 repository is refused with a clear error
// rather than read as garbage.
func TestSHA256Refused(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--object-format=sha256", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	_, err := OpenRepository(dir)
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("open sha256 repository: err = %v, want a refusal naming sha256", err)
	}
}
