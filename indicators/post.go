package indicators

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/config"
)

// Post sends each document as JSON with its own POST to target, as
// github-crawler's HTTP output does. Date placeholders in target
// (technologymap-{yyyy-MM}) are replaced by the local date when Post
// starts, as github-crawler computes its URL once per run. "{id}" in target is replaced by the
// document's ID (e.g. http://es:9200/technologymap/_doc/{id}), so that a
// rerun updates the documents instead of adding new ones.
func Post(ctx context.Context, client *http.Client, target string, docs []Document) error {
	if client == nil {
		client = http.DefaultClient
	}
	target = ExpandTarget(target, time.Now())
	for i := range docs {
		d := &docs[i]
		u := strings.ReplaceAll(target, "{id}", d.ID())
		body, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encode indicators of %s@%s: %w", d.FullName, d.BranchName, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("post indicators to %s: %w", redact(target), err)
		}
		req.Header.Set("Content-Type", "application/json")
		if err := do(client, req, nil); err != nil {
			return fmt.Errorf("post indicators of %s@%s to %s: %w", d.FullName, d.BranchName, redact(target), err)
		}
	}
	return nil
}

// ES says where PostES writes.
type ES struct {
	URL      string // cluster address, e.g. http://127.0.0.1:9200
	Index    string // may hold date placeholders: technologymap-{yyyy-MM}
	Username string // with Password: basic authentication
	Password string
	APIKey   string // base64 id:key, as Elasticsearch issues it
}

// bulkDocs is how many documents one _bulk request carries.
const bulkDocs = 500

// PostES indexes docs into es.Index with the _bulk API, each under its
// ID, so that a rerun replaces the previous documents. It speaks plain
// HTTP so that Elasticsearch 7, 8 and OpenSearch all accept it.
func PostES(ctx context.Context, client *http.Client, es ES, docs []Document) error {
	ids := make([]string, len(docs))
	bodies := make([]any, len(docs))
	for i := range docs {
		ids[i], bodies[i] = docs[i].ID(), &docs[i]
	}
	return bulk(ctx, client, es, ids, bodies)
}

// postRunsES indexes the run documents beside the documents.
func postRunsES(ctx context.Context, client *http.Client, es ES, runs []RunDocument) error {
	ids := make([]string, len(runs))
	bodies := make([]any, len(runs))
	for i := range runs {
		ids[i], bodies[i] = runs[i].ID(), &runs[i]
	}
	return bulk(ctx, client, es, ids, bodies)
}

// postRuns posts each run document as Post posts documents.
func postRuns(ctx context.Context, client *http.Client, target string, runs []RunDocument) error {
	if client == nil {
		client = http.DefaultClient
	}
	target = ExpandTarget(target, time.Now())
	for i := range runs {
		body, err := json.Marshal(&runs[i])
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.ReplaceAll(target, "{id}", runs[i].ID()), bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("post run document to %s: %w", redact(target), err)
		}
		req.Header.Set("Content-Type", "application/json")
		if err := do(client, req, nil); err != nil {
			return fmt.Errorf("post run document %s to %s: %w", runs[i].ID(), redact(target), err)
		}
	}
	return nil
}

func bulk(ctx context.Context, client *http.Client, es ES, ids []string, bodies []any) error {
	if client == nil {
		client = http.DefaultClient
	}
	endpoint := strings.TrimRight(es.URL, "/") + "/_bulk"
	index := ExpandTarget(es.Index, time.Now())
	for start := 0; start < len(ids); start += bulkDocs {
		end := min(start+bulkDocs, len(ids))
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		for i := start; i < end; i++ {
			action := map[string]any{"index": map[string]string{"_index": index, "_id": ids[i]}}
			if err := enc.Encode(action); err != nil {
				return err
			}
			if err := enc.Encode(bodies[i]); err != nil {
				return fmt.Errorf("encode document %s: %w", ids[i], err)
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, &body)
		if err != nil {
			return fmt.Errorf("index indicators into %s: %w", redact(es.URL), err)
		}
		req.Header.Set("Content-Type", "application/x-ndjson")
		switch {
		case es.APIKey != "":
			req.Header.Set("Authorization", "ApiKey "+es.APIKey)
		case es.Username != "":
			req.SetBasicAuth(es.Username, es.Password)
		}
		var resp bulkResponse
		if err := do(client, req, &resp); err != nil {
			return fmt.Errorf("index indicators into %s/%s: %w", redact(es.URL), index, err)
		}
		if resp.Errors {
			return fmt.Errorf("index indicators into %s/%s: %s", redact(es.URL), index, resp.firstError())
		}
	}
	return nil
}

type bulkResponse struct {
	Errors bool `json:"errors"`
	Items  []map[string]struct {
		ID     string          `json:"_id"`
		Status int             `json:"status"`
		Error  json.RawMessage `json:"error"`
	} `json:"items"`
}

func (r *bulkResponse) firstError() string {
	n := 0
	first := ""
	for _, item := range r.Items {
		for _, res := range item {
			if res.Status >= 300 {
				if n == 0 {
					first = fmt.Sprintf("document %s: status %d: %s", res.ID, res.Status, res.Error)
				}
				n++
			}
		}
	}
	return fmt.Sprintf("%d documents failed; first: %s", n, first)
}

// do sends req and decodes a 2xx JSON answer into out when out is not nil.
func do(client *http.Client, req *http.Request, out any) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	return nil
}

// redact drops credentials from an address before it is shown.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

// ExpandTarget replaces github-crawler's date placeholders in a target URL
// or index name ({yyyy-MM}, {yyyy-MM-dd}: java.time patterns) by at's local
// date; {id} is left for the document's id.
func ExpandTarget(target string, at time.Time) string {
	return config.ExpandDates(target, at.Local().Format, "id")
}
