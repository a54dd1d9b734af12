package vault

import (
	"testing"
	"time"
)

func TestRenewDelayFollowsRasasMargins(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{
		{"an hour-long token renews fifteen seconds before expiry", time.Hour,
			time.Hour - 15*time.Second},
		{"a twenty-second token renews after five seconds", 20 * time.Second, 5 * time.Second},
		{"a token at exactly the margin renews after one second", 15 * time.Second, time.Second},
		{"a ten-second token renews after one second", 10 * time.Second, time.Second},
		{"a one-second token renews after one second", time.Second, time.Second},
		{"a zero TTL falls to the one-second floor", 0, time.Second},
		{"a TTL just over the margin renews almost at once", 15*time.Second + time.Millisecond,
			time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RenewDelay(tt.ttl); got != tt.want {
				t.Errorf("RenewDelay(%s) = %s, want %s", tt.ttl, got, tt.want)
			}
		})
	}
}

func TestNeedsRenewalOnlyForExpiringRenewableTokens(t *testing.T) {
	tests := []struct {
		name string
		info TokenInfo
		want bool
	}{
		{"a renewable token with a TTL needs renewal", TokenInfo{TTL: time.Minute, Renewable: true},
			true},
		{"a root token (TTL 0) is left alone", TokenInfo{TTL: 0, Renewable: false}, false},
		{"a renewable token without expiry is left alone", TokenInfo{TTL: 0, Renewable: true},
			false},
		{"a non-renewable token with a TTL is left alone", TokenInfo{TTL: time.Minute}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.info.NeedsRenewal(); got != tt.want {
				t.Errorf("NeedsRenewal() = %v, want %v", got, tt.want)
			}
		})
	}
}
