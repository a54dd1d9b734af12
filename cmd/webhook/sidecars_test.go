package main

import "testing"

func TestSupportsNativeSidecars(t *testing.T) {
	tests := []struct {
		name, major, minor string
		want, wantErr      bool
	}{
		{name: "1.29 is the first with native sidecars", major: "1", minor: "29", want: true},
		{name: "1.28 has none", major: "1", minor: "28", want: false},
		{name: "a provider's plus suffix is ignored", major: "1", minor: "31+", want: true},
		{name: "an old provider minor with a suffix has none", major: "1", minor: "27+"},
		{name: "a later major has them", major: "2", minor: "0", want: true},
		{name: "an empty minor is an error", major: "1", minor: "", wantErr: true},
		{name: "a non-numeric major is an error", major: "v1", minor: "30", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := supportsNativeSidecars(tt.major, tt.minor)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
