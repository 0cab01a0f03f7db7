package compliance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ES says where Export writes. Documents go to the index
// Prefix-YYYY.MM.DD of the evaluation's day (UTC), one per (rule, repo,
// branch) under a stable id, so that a day's index holds that day's last
// answer for every branch and older days stay as history. The mapping is
// installed as an index template on Prefix-* (docs/compliance-elasticsearch.md).
type ES struct {
	URL      string // cluster address, e.g. http://127.0.0.1:9200
	Prefix   string // default trawl-compliance
	Username string // with Password: basic authentication
	Password string
	APIKey   string // base64 id:key
	Client   *http.Client
}

// ExportDoc is one exported document.
type ExportDoc struct {
	Timestamp       time.Time  `json:"@timestamp"` // the evaluation
	Rule            string     `json:"rule"`
	Title           string     `json:"title"`
	Severity        string     `json:"severity"`
	Kind            string     `json:"kind"`
	Status          Status     `json:"status"`
	Failing         bool       `json:"failing"`
	Repo            string     `json:"repo"`
	Branch          string     `json:"branch"`
	Commit          string     `json:"commit"`
	Since           time.Time  `json:"since"`
	EvidenceCount   int        `json:"evidence_count"`
	Evidence        []Evidence `json:"evidence"`
	EvidenceOmitted int        `json:"evidence_omitted"`
	Error           string     `json:"error,omitempty"`
}

// ExportTemplate is the index template body: the documented mapping of
// ExportDoc. Evidence text is searchable as text and the rest keywords,
// which is what the dashboard's terms aggregations need.
const ExportTemplate = `{
  "index_patterns": ["%s-*"],
  "template": {
    "settings": {"index": {"auto_expand_replicas": "0-1"}},
    "mappings": {
      "dynamic": "strict",
      "properties": {
        "@timestamp":       {"type": "date"},
        "rule":             {"type": "keyword"},
        "title":            {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 512}}},
        "severity":         {"type": "keyword"},
        "kind":             {"type": "keyword"},
        "status":           {"type": "keyword"},
        "failing":          {"type": "boolean"},
        "repo":             {"type": "keyword"},
        "branch":           {"type": "keyword"},
        "commit":           {"type": "keyword"},
        "since":            {"type": "date"},
        "evidence_count":   {"type": "integer"},
        "evidence_omitted": {"type": "integer"},
        "error":            {"type": "text"},
        "evidence": {"properties": {
          "path":     {"type": "keyword"},
          "line":     {"type": "integer"},
          "text":     {"type": "text"},
          "url":      {"type": "keyword", "index": false},
          "advisory": {"type": "keyword"},
          "summary":  {"type": "text"},
          "fixed":    {"type": "keyword"}
        }}
      }
    }
  }
}`

// IndexName is the index of an evaluation at t.
func (es ES) IndexName(t time.Time) string {
	return es.prefix() + "-" + t.UTC().Format("2006.01.02")
}

func (es ES) prefix() string {
	if es.Prefix == "" {
		return "trawl-compliance"
	}
	return es.Prefix
}

// Docs turns a report into export documents, passing branches included:
// dashboards count both.
func Docs(rules []RuleReport, at time.Time, results []Result) []ExportDoc {
	byID := map[string]RuleReport{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	var docs []ExportDoc
	for _, res := range results {
		r, ok := byID[res.Rule]
		if !ok || res.Status == NotApplicable {
			continue
		}
		ev := res.Evidence
		if ev == nil {
			ev = []Evidence{}
		}
		docs = append(docs, ExportDoc{Timestamp: at.UTC(), Rule: res.Rule, Title: r.Title, Severity: r.Severity, Kind: r.Kind,
			Status: res.Status, Failing: res.Status == Fail, Repo: res.Repo, Branch: res.Branch, Commit: res.Commit, Since: res.Since,
			EvidenceCount: len(ev) + res.EvidenceOmitted, Evidence: ev, EvidenceOmitted: res.EvidenceOmitted, Error: res.Error})
	}
	return docs
}

// exportBatch is how many documents one _bulk request carries.
const exportBatch = 500

// Export installs the index template and indexes docs into the index of
// at's day, then refreshes it. It speaks plain HTTP to the REST API, as
// trawl indicators --es does, so that any 7.x or 8.x cluster takes it.
func (es ES) Export(ctx context.Context, at time.Time, docs []ExportDoc) error {
	index := es.IndexName(at)
	tmpl := fmt.Sprintf(ExportTemplate, es.prefix())
	if err := es.do(ctx, http.MethodPut, "/_index_template/"+es.prefix(), "application/json", []byte(tmpl), nil); err != nil {
		return fmt.Errorf("export compliance to %s: install index template: %w", es.where(), err)
	}
	for start := 0; start < len(docs); start += exportBatch {
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		for _, d := range docs[start:min(start+exportBatch, len(docs))] {
			enc.Encode(map[string]any{"index": map[string]string{"_index": index, "_id": fingerprint(d.Rule, d.Repo, d.Branch)}})
			if err := enc.Encode(d); err != nil {
				return fmt.Errorf("export compliance: encode %s %s@%s: %w", d.Rule, d.Repo, d.Branch, err)
			}
		}
		var resp struct {
			Errors bool `json:"errors"`
			Items  []map[string]struct {
				Status int             `json:"status"`
				Error  json.RawMessage `json:"error"`
			} `json:"items"`
		}
		if err := es.do(ctx, http.MethodPost, "/_bulk", "application/x-ndjson", body.Bytes(), &resp); err != nil {
			return fmt.Errorf("export compliance to %s/%s: %w", es.where(), index, err)
		}
		if resp.Errors {
			for i, item := range resp.Items {
				for _, r := range item {
					if r.Status >= 300 {
						d := docs[start+i]
						return fmt.Errorf("export compliance to %s/%s: %s %s@%s: status %d: %s", es.where(), index, d.Rule, d.Repo, d.Branch, r.Status, r.Error)
					}
				}
			}
		}
	}
	if err := es.do(ctx, http.MethodPost, "/"+index+"/_refresh", "", nil, nil); err != nil {
		return fmt.Errorf("export compliance to %s/%s: refresh: %w", es.where(), index, err)
	}
	return nil
}

// where names the cluster without credentials.
func (es ES) where() string {
	u, err := url.Parse(es.URL)
	if err != nil {
		return "elasticsearch"
	}
	u.User = nil
	return u.Scheme + "://" + u.Host
}

func (es ES) do(ctx context.Context, method, path, ctype string, body []byte, out any) error {
	client := es.Client
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(es.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	switch {
	case es.APIKey != "":
		req.Header.Set("Authorization", "ApiKey "+es.APIKey)
	case es.Username != "":
		req.SetBasicAuth(es.Username, es.Password)
	}
	res, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 500 {
			msg = msg[:500]
		}
		return fmt.Errorf("status %s: %s", res.Status, msg)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
