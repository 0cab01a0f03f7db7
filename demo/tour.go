package demo

// Question is one step of the tour: a trawl command line (without -c) and
// what it answers. `trawl demo tour` runs each; the tests check each answer
// on a generated organisation.
type Question struct {
	ID    string
	Title string
	Args  []string
	// Missing, when set, also names the repositories whose default branch
	// is absent from the answer (the search lists who has a file; the
	// question is who has not).
	Missing bool
	// Gate marks a question whose command exits 1 when it finds what it
	// looks for (trawl check with a failing rule): that is its answer.
	Gate bool
}

// Tour is what `make run` asks of the demo organisation.
func Tour() []Question {
	return []Question{
		{
			ID:    "log4j-search",
			Title: "Which branches still build log4j-core " + VulnerableVersion + "? (an exact search over every branch)",
			Args:  []string{"search", "log4j-core " + VulnerableVersion + " file:pom.xml"},
		},
		{
			ID:    "log4j-deps",
			Title: "Every log4j-core on every branch, with the version its property resolves to",
			Args:  []string{"deps", "org.apache.logging.log4j:log4j-core"},
		},
		{
			ID:    "log4j-vulnerable",
			Title: "Only the vulnerable ones (Log4Shell is fixed from 2.17.1)",
			Args:  []string{"deps", "org.apache.logging.log4j:log4j-core", "--version", "<2.17.1"},
		},
		{
			ID:    "config-key",
			Title: "One configuration key, a different value per branch",
			Args:  []string{"search", ConfigKey + ": file:application.yml"},
		},
		{
			ID:      "codeowners",
			Title:   "Who names owners on the default branch, and who does not",
			Args:    []string{"search", "file:(^|/)CODEOWNERS$ branch:^main$"},
			Missing: true,
		},
		{
			ID:    "skipped",
			Title: "What was not indexed, and why",
			Args:  []string{"skipped"},
		},
		{
			ID:    "check",
			Title: "Which rules fail, on which branch, with what evidence (exit 1: a CI gate)",
			Args:  []string{"check"},
			Gate:  true,
		},
		{
			ID:    "change-plan",
			Title: "The fix, planned: one pull request per vulnerable branch (plan changes nothing; change apply pushes it)",
			Args: []string{"change", "plan", "--id", "log4shell", "--dependency", "org.apache.logging.log4j:log4j-core",
				"--version", "<2.17.1", "--set-dependency", "org.apache.logging.log4j:log4j-core=" + FixedVersion},
		},
	}
}
