package vault

import "time"

// RenewMargin is how long before expiry a renewal is due, and RenewFloor the delay used
// when the TTL is not above the margin. Both are Rasa's (VaultTokenManager: a 15 s
// threshold "to compensate for possible network latency", and 1 s below it), kept so a
// user moving from Rasa's own manager sees the same timing.
const (
	RenewMargin = 15 * time.Second
	RenewFloor  = time.Second
)

// RenewDelay returns how long to wait before renewing a token with the given TTL: the
// TTL minus RenewMargin when the TTL is above it, else RenewFloor. The caller
// schedules each renewal from the TTL the previous renewal returned, so a TTL that
// shrinks toward the token's maximum simply brings the next renewal closer.
func RenewDelay(ttl time.Duration) time.Duration {
	if ttl > RenewMargin {
		return ttl - RenewMargin
	}
	return RenewFloor
}
