package indicators

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/trawl-dev/trawl/config"
)

func TestComputeConfigured(t *testing.T) {
	ctx := context.Background()
	idx := smallIndex(t, []file3{
		{"acme/api", "main", "pom.xml", "<artifactId>metrics-core</artifactId>\n"},
		{"acme/api", "dev", "pom.xml", "<artifactId>metrics-core</artifactId>\n"},
	})
	cfg := &config.Config{Groups: []string{"backend"}, RepositoryTasks: []config.RepositoryTask{
		{Name: "nbBranches", Type: config.TaskNbBranches},
	}}
	api := &fakeAPI{branches: map[string]int{"acme/api": 7}}
	env := func() (TaskEnv, error) {
		return TaskEnv{Index: idx, GitHub: func(string) GitHubAPI { return api }}, nil
	}
	docs, problems, err := ComputeConfigured(ctx, cfg, idx, env, Options{Groups: []string{"cli"}})
	if err != nil || len(problems) != 0 {
		t.Fatalf("err %v, problems %v", err, problems)
	}
	if len(docs) != 2 {
		t.Fatalf("%d documents, want main and dev", len(docs))
	}
	for _, d := range docs {
		if !reflect.DeepEqual(d.Groups, []string{"backend", "cli"}) {
			t.Errorf("%s: groups %v, want the configuration's then the flags'", d.BranchName, d.Groups)
		}
		want := map[string]any{}
		if d.BranchName == "main" {
			want = map[string]any{"nbBranches": 7}
		}
		if !reflect.DeepEqual(d.MiscTasksResults, want) {
			t.Errorf("%s: task results %v, want %v (the default branch only)", d.BranchName, d.MiscTasksResults, want)
		}
	}

	// Without tasks no forge is asked for: env is not built.
	cfg.RepositoryTasks = nil
	broken := func() (TaskEnv, error) { return TaskEnv{}, errors.New("no GitHub source") }
	if _, _, err := ComputeConfigured(ctx, cfg, idx, broken, Options{}); err != nil {
		t.Errorf("no tasks: %v", err)
	}
	cfg.RepositoryTasks = []config.RepositoryTask{{Name: "nbBranches", Type: config.TaskNbBranches}}
	if _, _, err := ComputeConfigured(ctx, cfg, idx, broken, Options{}); err == nil {
		t.Error("tasks with an environment that cannot be built: no error")
	}
}

func TestExportDir(t *testing.T) {
	cfgPath := filepath.Join("/etc", "trawl", "trawl.yaml")
	for _, tc := range []struct {
		x    *config.IndicatorsExport
		want string
	}{
		{nil, "/etc/trawl"},
		{&config.IndicatorsExport{}, "/etc/trawl"},
		{&config.IndicatorsExport{Files: &config.ExportFiles{}}, "/etc/trawl"},
		{&config.IndicatorsExport{Files: &config.ExportFiles{Dir: "out"}}, "/etc/trawl/out"},
		{&config.IndicatorsExport{Files: &config.ExportFiles{Dir: "/var/lib/trawl"}}, "/var/lib/trawl"},
	} {
		if got := ExportDir(&config.Config{Path: cfgPath, IndicatorsExport: tc.x}); got != filepath.FromSlash(tc.want) {
			t.Errorf("%+v: %s, want %s", tc.x, got, tc.want)
		}
	}
}
