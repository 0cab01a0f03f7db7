module github.com/acme/api

go 1.22

toolchain go1.22.5

require (
	github.com/blevesearch/bleve/v2 v2.6.3
	github.com/sirupsen/logrus v1.9.0
	golang.org/x/net v0.17.0 // indirect
	"gopkg.in/yaml.v3" v3.0.1
	github.com/acme/shared v0.3.0
)

require github.com/google/uuid v1.3.0

replace github.com/sirupsen/logrus => github.com/sirupsen/logrus v1.9.3

replace (
	golang.org/x/net v0.17.0 => golang.org/x/net v0.23.0
	github.com/acme/shared => ../shared
	github.com/google/uuid => github.com/acme/uuid-fork v1.3.1
)
