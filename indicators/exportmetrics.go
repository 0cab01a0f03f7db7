package indicators

import "github.com/prometheus/client_golang/prometheus"

var (
	xRuns     = prometheus.NewDesc("trawl_indicators_export_runs_total", "Indicator exports run.", nil, nil)
	xFailures = prometheus.NewDesc("trawl_indicators_export_failures_total", "Indicator exports that left documents unsent.", nil, nil)
	xSent     = prometheus.NewDesc("trawl_indicators_export_sent_documents_total", "Indicator and run documents sent.", nil, nil)
	xPending  = prometheus.NewDesc("trawl_indicators_export_pending_documents", "Indicator and run documents waiting for the next export.", nil, nil)
	xSuccess  = prometheus.NewDesc("trawl_indicators_export_last_success_timestamp_seconds", "When an export last sent everything.", nil, nil)
)

// ExportCollector exports an Exporter's counters (Status is its Status
// method) for trawl serve's /metrics.
type ExportCollector struct {
	Status func() ExportStatus
}

// Describe implements prometheus.Collector.
func (c ExportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{xRuns, xFailures, xSent, xPending, xSuccess} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. The last success is 0 until
// an export sent everything.
func (c ExportCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.Status()
	ch <- prometheus.MustNewConstMetric(xRuns, prometheus.CounterValue, float64(st.Runs))
	ch <- prometheus.MustNewConstMetric(xFailures, prometheus.CounterValue, float64(st.Failures))
	ch <- prometheus.MustNewConstMetric(xSent, prometheus.CounterValue, float64(st.Sent))
	ch <- prometheus.MustNewConstMetric(xPending, prometheus.GaugeValue, float64(st.Pending))
	success := 0.0
	if !st.LastSuccess.IsZero() {
		success = float64(st.LastSuccess.Unix())
	}
	ch <- prometheus.MustNewConstMetric(xSuccess, prometheus.GaugeValue, success)
}
