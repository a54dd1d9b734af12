package agent

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsDefaultsAndPathChecks(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		wantErr []string
	}{
		{name: "two directories are enough",
			in: Options{SourceDir: "/rvw/config", OutputDir: "/rvw/out"}},
		{name: "a nested endpoints file is fine",
			in: Options{SourceDir: "/a", OutputDir: "/b", EndpointsFile: "conf/endpoints.yml"}},
		{name: "missing directories are both named",
			in:      Options{},
			wantErr: []string{"--source-dir", "--output-dir"}},
		{name: "an endpoints file escaping the source directory is refused",
			in:      Options{SourceDir: "/a", OutputDir: "/b", EndpointsFile: "../etc/passwd"},
			wantErr: []string{"must be a relative path"}},
		{name: "an absolute endpoints file is refused",
			in:      Options{SourceDir: "/a", OutputDir: "/b", EndpointsFile: "/app/endpoints.yml"},
			wantErr: []string{"must be a relative path"}},
		{name: "a refresh interval of one nanosecond is refused naming the flag",
			in:      Options{SourceDir: "/a", OutputDir: "/b", RefreshInterval: time.Nanosecond},
			wantErr: []string{"--refresh-interval 1ns is below the minimum of 1s"}},
		{name: "a negative refresh interval is refused",
			in:      Options{SourceDir: "/a", OutputDir: "/b", RefreshInterval: -time.Minute},
			wantErr: []string{"--refresh-interval -1m0s is below the minimum"}},
		{name: "writing over the source is refused",
			in:      Options{SourceDir: "/a/", OutputDir: "/a"},
			wantErr: []string{"is the source directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("withDefaults: %v", err)
				}
				if got.InitTimeout != time.Minute || got.RefreshInterval != 5*time.Minute ||
					got.TerminationMessagePath != "/dev/termination-log" ||
					got.Clock == nil || got.Health == nil || got.LookupEnv == nil {
					t.Errorf("defaults not filled in: %+v", got)
				}
				if tt.in.EndpointsFile == "" && got.EndpointsFile != "endpoints.yml" {
					t.Errorf("EndpointsFile = %q, want endpoints.yml", got.EndpointsFile)
				}
				return
			}
			if err == nil {
				t.Fatal("withDefaults succeeded, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}
