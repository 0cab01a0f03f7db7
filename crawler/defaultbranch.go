package crawler

// onlyDefault keeps the default branch of heads (branches: default), as
// github-crawler crawls unless crawlAllBranches is set. A repository whose
// default branch is unknown or filtered out keeps no branch.
func onlyDefault(heads map[string]string, def string) map[string]string {
	out := map[string]string{}
	if c, ok := heads[def]; ok && def != "" {
		out[def] = c
	}
	return out
}
