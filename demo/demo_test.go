package demo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// refs lists every branch of every demo repository with its commit id.
func refs(t *testing.T, dir string, repos []string) string {
	t.Helper()
	var b strings.Builder
	for _, r := range repos {
		b.WriteString(r + "\n")
		b.WriteString(gitOut(t, filepath.Join(dir, "repos", r+".git"), "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"))
	}
	return b.String()
}

func TestInitWritesValidDeterministicRepositories(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "org")
	res, err := Init(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Repos) != 6 || res.Branches < 25 {
		t.Fatalf("got %d repositories, %d branches; want 6 and about 5 each", len(res.Repos), res.Branches)
	}
	for _, r := range res.Repos {
		repo := filepath.Join(dir, "repos", r+".git")
		// git itself checks every object Init wrote (tree order, modes, commit format).
		gitOut(t, repo, "fsck", "--strict", "--no-dangling")
		if head := strings.TrimSpace(gitOut(t, repo, "symbolic-ref", "HEAD")); head != "refs/heads/main" {
			t.Errorf("%s: HEAD is %s, want refs/heads/main", r, head)
		}
		if n := strings.Count(gitOut(t, repo, "for-each-ref", "refs/heads"), "\n"); n < 5 {
			t.Errorf("%s has %d branches, want at least 5", r, n)
		}
	}
	first := refs(t, dir, res.Repos)

	// A second run replaces the folder it made and yields the same commits.
	if _, err := Init(ctx, dir, Options{}); err != nil {
		t.Fatalf("second Init of a demo folder: %v", err)
	}
	if second := refs(t, dir, res.Repos); second != first {
		t.Errorf("commit ids changed between runs:\n%s\nvs\n%s", first, second)
	}
	if _, err := os.Stat(res.Config); err != nil {
		t.Errorf("no trawl.yaml: %v", err)
	}
}

func TestInitContents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "org")
	res, err := Init(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	show := func(repo, rev, path string) string {
		return gitOut(t, filepath.Join(dir, "repos", repo+".git"), "show", rev+":"+path)
	}
	files := func(repo, rev string) string {
		return gitOut(t, filepath.Join(dir, "repos", repo+".git"), "ls-tree", "-r", "--name-only", rev)
	}
	// log4j-core 2.14.1 on one release branch of one repository only.
	for _, r := range res.Repos {
		repo := filepath.Join(dir, "repos", r+".git")
		for _, br := range strings.Fields(gitOut(t, repo, "for-each-ref", "--format=%(refname:short)", "refs/heads")) {
			if !strings.Contains(files(r, br), "pom.xml") {
				continue
			}
			has := strings.Contains(show(r, br, "pom.xml"), ">"+VulnerableVersion+"<")
			if want := r == VulnerableRepo && br == VulnerableBranch; has != want {
				t.Errorf("%s@%s: log4j %s present=%v, want %v", r, br, VulnerableVersion, has, want)
			}
		}
		owners := strings.Contains(files(r, "main"), "CODEOWNERS")
		if owners == (r == NoOwnersRepo) {
			t.Errorf("%s: CODEOWNERS present=%v", r, owners)
		}
	}
	for br, v := range ConfigValues {
		if got := show(VulnerableRepo, br, "src/main/resources/application.yml"); !strings.Contains(got, ConfigKey+": "+v+"\n") {
			t.Errorf("%s@%s: %s is not %s", VulnerableRepo, br, ConfigKey, v)
		}
	}
	if big := show("acme/web-frontend", "main", LargeFile); len(big) < 1<<20 {
		t.Errorf("%s is %d bytes, want more than the demo's 1 MiB max_size", LargeFile, len(big))
	}
	if bin := show("acme/web-frontend", "main", BinaryFile); !strings.Contains(bin, "\x00") {
		t.Errorf("%s holds no NUL byte: trawl would index it as text", BinaryFile)
	}
}

func TestInitRefusesAForeignFolder(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Init(context.Background(), dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("Init into a foreign folder: err = %v, want a refusal naming --force", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("the refusal removed a file: %v", err)
	}
	if _, err := Init(context.Background(), dir, Options{Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
}
