package forgeapi

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Instrumented is a source whose API calls are counted.
type Instrumented interface {
	Name() string
	Stats() Stats
}

// NewCollector exports the API counters of every source of one forge
// (forge: "github", "gitlab"...) as trawl_<forge>_api_calls_total,
// _not_modified_total, _retries_total, _rate_limit_waits_total and
// _rate_limit_remaining, labelled by source. sources is called at each
// scrape, so sources built later are exported too.
func NewCollector(forge string, sources func() []Instrumented) prometheus.Collector {
	f := strings.ToLower(forge)
	name := func(s string) string { return "trawl_" + f + "_" + s }
	return &collector{
		sources:   sources,
		calls:     prometheus.NewDesc(name("api_calls_total"), forge+" API calls made.", []string{"source"}, nil),
		notMod:    prometheus.NewDesc(name("not_modified_total"), forge+" API calls answered 304 (no quota spent).", []string{"source"}, nil),
		retries:   prometheus.NewDesc(name("retries_total"), forge+" API calls retried after 5xx or network errors.", []string{"source"}, nil),
		waits:     prometheus.NewDesc(name("rate_limit_waits_total"), "Pauses for "+forge+" rate limits.", []string{"source"}, nil),
		remaining: prometheus.NewDesc(name("rate_limit_remaining"), forge+" API calls left in the current window (-1: unknown).", []string{"source"}, nil),
	}
}

type collector struct {
	sources                                  func() []Instrumented
	calls, notMod, retries, waits, remaining *prometheus.Desc
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.calls, c.notMod, c.retries, c.waits, c.remaining} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.sources() {
		st, name := s.Stats(), s.Name()
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, float64(st.APICalls), name)
		ch <- prometheus.MustNewConstMetric(c.notMod, prometheus.CounterValue, float64(st.NotModified), name)
		ch <- prometheus.MustNewConstMetric(c.retries, prometheus.CounterValue, float64(st.Retries), name)
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(st.RateLimitWaits), name)
		ch <- prometheus.MustNewConstMetric(c.remaining, prometheus.GaugeValue, float64(st.RateLimitRemaining), name)
	}
}
