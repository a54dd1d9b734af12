//go:build tools

// Package tools pins the Vault server command for the test harness build.
package tools

import _ "github.com/hashicorp/vault"
