// Package keepdeps pins the modules the design names until the code that
// uses them lands, so go mod tidy keeps them. Delete it once every import
// below is used elsewhere.
package keepdeps

import (
	_ "deps.dev/util/semver"
	_ "github.com/CycloneDX/cyclonedx-go"
	_ "github.com/blevesearch/bleve/v2"
	_ "github.com/bmatcuk/doublestar/v4"
	_ "github.com/chromedp/chromedp"
	_ "github.com/elastic/go-elasticsearch/v8"
	_ "github.com/elastic/go-elasticsearch/v8/esutil"
	_ "github.com/go-enry/go-enry/v2"
	_ "github.com/go-git/go-git/v5"
	_ "github.com/google/go-github/v57/github"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/robfig/cron/v3"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
)
