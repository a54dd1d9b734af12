package vaultconfig

import (
	"fmt"
	"net/url"
	"strings"
)

// Redacted describes the configuration for logs: every field, the token only as
// "<set>" or "<unset>", and any password inside the URL masked.
func (c Config) Redacted() string {
	token := "<unset>"
	if c.Token != "" {
		token = "<set>"
	}
	return fmt.Sprintf("type=%q url=%q token=%s secrets_path=%q mount_point=%q "+
		"transit_mount_point=%q namespace=%q", c.Type, redactURL(c.URL), token,
		c.SecretsPath, c.MountPoint, c.TransitMountPoint, c.Namespace)
}

// redactURL masks a password in a URL's user information. A URL that does not parse
// is shown only as "<unparsable>", since it could hold anything.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable>"
	}
	if u.User != nil {
		u.User = url.User("xxxxx")
	}
	s := u.String()
	if strings.ContainsAny(s, "\x00\r\n") {
		return "<unparsable>"
	}
	return s
}
