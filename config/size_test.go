package config

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
	}{
		{"0", 0},
		{"1048576", 1 << 20},
		{"100B", 100},
		{"512KiB", 512 << 10},
		{"512 KiB", 512 << 10},
		{"1MiB", 1 << 20},
		{"1mib", 1 << 20},
		{"2MB", 2000000},
		{"2mb", 2000000},
		{"3kb", 3000},
		{"1GiB", 1 << 30},
		{"1GB", 1e9},
		{"2TiB", 2 << 40},
		{" 7 KB ", 7000},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "1.5MiB", "12 parsecs", "1 MiB B", "99999999999999999999", "9999999999TiB"} {
		if got, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestSizeString(t *testing.T) {
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{1500, "1500B"},
		{1 << 20, "1MiB"},
		{512 << 10, "512KiB"},
		{3 << 30, "3GiB"},
		{2000000, "2MB"},
		{1000, "1KB"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		back, err := ParseSize(tt.want)
		if err != nil || back != tt.in {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.want, back, err, tt.in)
		}
	}
}

func TestSizeYAMLRoundTrip(t *testing.T) {
	var v struct {
		S Size `yaml:"s"`
	}
	if err := yaml.Unmarshal([]byte("s: 64 KiB\n"), &v); err != nil || v.S != 64<<10 {
		t.Fatalf("unmarshal = %d, %v", v.S, err)
	}
	out, err := yaml.Marshal(v)
	if err != nil || string(out) != "s: 64KiB\n" {
		t.Fatalf("marshal = %q, %v", out, err)
	}
	if err := yaml.Unmarshal([]byte("s: 12 parsecs\n"), &v); err == nil {
		t.Errorf("unmarshal of a bad size succeeded")
	}
}
