package compliance

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	mChecked  = prometheus.NewDesc("trawl_compliance_branches_checked", "Branches a rule was evaluated on, at the last evaluation.", []string{"rule", "severity"}, nil)
	mFailing  = prometheus.NewDesc("trawl_compliance_branches_failing", "Branches failing a rule, at the last evaluation.", []string{"rule", "severity"}, nil)
	mErrors   = prometheus.NewDesc("trawl_compliance_branches_error", "Branches where a rule could not be answered, at the last evaluation.", []string{"rule", "severity"}, nil)
	mSeverity = prometheus.NewDesc("trawl_compliance_failing_rules", "Rules failing or erring on some branch, by severity.", []string{"severity"}, nil)
	mLast     = prometheus.NewDesc("trawl_compliance_last_evaluation_timestamp_seconds", "When the rules were last evaluated.", nil, nil)
)

// Collector exports the last report as gauges per rule and severity.
type Collector struct {
	Report func() *Report // nil report: nothing evaluated yet
}

// Describe implements prometheus.Collector.
func (c Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mChecked, mFailing, mErrors, mSeverity, mLast} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c Collector) Collect(ch chan<- prometheus.Metric) {
	rep := c.Report()
	if rep == nil {
		return
	}
	bySeverity := map[string]int{"info": 0, "warning": 0, "error": 0}
	for _, r := range rep.Rules {
		ch <- prometheus.MustNewConstMetric(mChecked, prometheus.GaugeValue, float64(r.BranchesChecked), r.ID, r.Severity)
		ch <- prometheus.MustNewConstMetric(mFailing, prometheus.GaugeValue, float64(r.BranchesFailing), r.ID, r.Severity)
		ch <- prometheus.MustNewConstMetric(mErrors, prometheus.GaugeValue, float64(r.BranchesError), r.ID, r.Severity)
		if r.Status != Pass {
			bySeverity[r.Severity]++
		}
	}
	for sev, n := range bySeverity {
		ch <- prometheus.MustNewConstMetric(mSeverity, prometheus.GaugeValue, float64(n), sev)
	}
	ch <- prometheus.MustNewConstMetric(mLast, prometheus.GaugeValue, float64(rep.EvaluatedAt.Unix()))
}
