package agent

import (
	"encoding/json"
	"net/http"
)

// nextRenewal returns the TTL and status of the next renewal; f.mu is held.
func (f *fakeVault) nextRenewal() (ttl, status int) {
	if f.renewStatus != 0 {
		return 0, f.renewStatus
	}
	if len(f.renewTTLs) > 0 {
		ttl, f.renewTTLs = f.renewTTLs[0], f.renewTTLs[1:]
		if len(f.renewTTLs) == 0 && f.renewAfter != 0 {
			f.renewStatus = f.renewAfter
		}
		return ttl, 0
	}
	return f.ttl, 0
}

// login answers a Kubernetes login with f.token; f.mu is held.
func (f *fakeVault) login(r *http.Request, reply func(int, any)) {
	var body struct{ JWT, Role string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.logins++
	f.loginJWT = body.JWT
	if f.onLogin != nil {
		f.onLogin()
	}
	if body.Role != "rasa" {
		reply(http.StatusBadRequest, map[string]any{"errors": []string{"invalid role name"}})
		return
	}
	f.ttl = f.loginTTL
	reply(http.StatusOK, map[string]any{"auth": map[string]any{
		"client_token": f.token, "lease_duration": f.loginTTL, "renewable": true,
		"policies": []string{"default", "rasa"}}})
}
