package main

import (
	"fmt"
	"io"

	"github.com/rasa-vault-webhook/rasa-vault-webhook/pkg/version"
)

func runVersion(stdout io.Writer) int {
	fmt.Fprintf(stdout, "webhook %s\n", version.String())
	return 0
}
