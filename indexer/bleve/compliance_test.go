package bleve

import (
	"testing"

	"github.com/trawl-dev/trawl/indexer/indexertest"
)

func TestComplianceStore(t *testing.T) {
	indexertest.RunCompliance(t, opener())
}
