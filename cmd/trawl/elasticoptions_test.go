package main

import (
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
)

// TestElasticOptions checks that the caller, not the backend, reads the
// secrets index.elasticsearch names, and that an unset one is an error
// naming its key.
func TestElasticOptions(t *testing.T) {
	t.Setenv("TRAWL_TEST_ES_PASSWORD", "pw-value")
	t.Setenv("TRAWL_TEST_ES_KEY", "key-value")
	o, err := elasticOptions(config.Elasticsearch{Addresses: []string{"https://es.example"}, IndexPrefix: "p", Username: "u",
		PasswordEnv: "TRAWL_TEST_ES_PASSWORD", APIKeyEnv: "TRAWL_TEST_ES_KEY", CACert: "/etc/ca.pem", Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	if o.Password != "pw-value" || o.APIKey != "key-value" || o.Username != "u" || o.IndexPrefix != "p" || o.CACertFile != "/etc/ca.pem" || !o.Compress || len(o.Addresses) != 1 {
		t.Errorf("options = %+v", o)
	}
	_, err = elasticOptions(config.Elasticsearch{APIKeyEnv: "TRAWL_TEST_SURELY_UNSET_KEY"})
	if err == nil || !strings.HasPrefix(err.Error(), "index.elasticsearch.api_key_env: ") || !strings.Contains(err.Error(), "TRAWL_TEST_SURELY_UNSET_KEY") {
		t.Errorf("unset api_key_env: error %v, want one naming the key and the variable", err)
	}
}
