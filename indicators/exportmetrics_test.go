package indicators

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestExportCollector(t *testing.T) {
	st := ExportStatus{Runs: 3, Failures: 1, Sent: 12, Pending: 2}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(ExportCollector{Status: func() ExportStatus { return st }}); err != nil {
		t.Fatal(err)
	}
	gather := func() map[string]float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			m := mf.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				out[mf.GetName()] = c.GetValue()
			} else {
				out[mf.GetName()] = m.GetGauge().GetValue()
			}
		}
		return out
	}
	want := map[string]float64{
		"trawl_indicators_export_runs_total":                     3,
		"trawl_indicators_export_failures_total":                 1,
		"trawl_indicators_export_sent_documents_total":           12,
		"trawl_indicators_export_pending_documents":              2,
		"trawl_indicators_export_last_success_timestamp_seconds": 0, // never sent everything yet
	}
	got := gather()
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", name, g, ok, v)
		}
	}
	st.LastSuccess = time.Unix(1_800_000_000, 0)
	if g := gather()["trawl_indicators_export_last_success_timestamp_seconds"]; g != 1_800_000_000 {
		t.Errorf("last success = %v, want the Unix time 1.8e9", g)
	}
}
